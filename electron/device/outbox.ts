import {
  closeSync,
  existsSync,
  fdatasyncSync,
  fstatSync,
  fsyncSync,
  ftruncateSync,
  mkdirSync,
  openSync,
  readFileSync,
  renameSync,
  unlinkSync,
  writeFileSync,
  writeSync,
} from 'node:fs'
import { join } from 'node:path'

export type OutboxItem =
  | { id: number; kind: 'telemetry'; at: number; seq: number; body: Record<string, number> }
  | { id: number; kind: 'reported'; at: number; patch: Record<string, unknown> }

export type NewItem =
  | { kind: 'telemetry'; at: number; body: Record<string, number> }
  | { kind: 'reported'; at: number; patch: Record<string, unknown> }

/** Why an item left the outbox. */
export type Settlement = 'acked' | 'dropped' | 'failed'

type Line =
  | { op: 'meta'; lastId: number; lastSeq: number }
  | ({ op: 'add' } & OutboxItem)
  | { op: 'done'; id: number; why: Settlement }

const journalName = 'outbox.jsonl'
const lockName = 'outbox.lock'

/** Journals this process holds open, so a second session on one folder is refused here too. */
const heldHere = new Set<string>()

/** The outbox folder is in use by another live session: sharing it would lose or repeat data. */
export class OutboxBusy extends Error {}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0)
    return true
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM'
  }
}

/**
 * Takes the folder's lock file (our pid, created exclusively). A lock whose process is gone is
 * left from a crash and is taken over; one held by a live process is refused.
 */
function lock(dir: string): string {
  const path = join(dir, lockName)
  if (heldHere.has(path))
    throw new OutboxBusy(`the outbox in ${dir} is already open in this process`)
  for (let attempt = 0; ; attempt++) {
    try {
      writeFileSync(path, String(process.pid), { flag: 'wx' })
      heldHere.add(path)
      return path
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EEXIST' || attempt > 0) throw e
    }
    const pid = Number(readFileSync(path, 'utf8').trim())
    if (Number.isInteger(pid) && pid > 0 && pid !== process.pid && alive(pid))
      throw new OutboxBusy(
        `another running copy of the app (pid ${pid}) is this device: its outbox in ${dir} is in use. Close the other one, or give this one another data folder.`,
      )
    unlinkSync(path)
  }
}

/**
 * Durable, bounded, append-only journal of what the device produced and the hub has not yet
 * acknowledged. One JSON line per event: `add` (fsynced before the item can be sent), `done`
 * (acked, dropped or failed). Compaction rewrites the file with only the live items, via a
 * temporary file and a rename, so a crash at any point leaves either the old or the new journal.
 *
 * Telemetry sequence numbers are allocated here, in the same line that journals the message:
 * a number handed out is a number on disk, so a crash can never leave a gap the lab would count
 * as loss. The high-water marks survive compaction in the `meta` line.
 */
export class Outbox {
  private readonly items = new Map<number, OutboxItem>()
  private readonly path: string
  private fd: number
  private lastId = 0
  private lastSeq = 0
  private garbage = 0
  private readonly lockPath: string

  /** Throws OutboxBusy when another live session has this folder's outbox open. */
  constructor(
    dir: string,
    private readonly limit: number,
  ) {
    mkdirSync(dir, { recursive: true })
    this.lockPath = lock(dir)
    this.path = join(dir, journalName)
    try {
      if (existsSync(this.path)) this.replay(readFileSync(this.path, 'utf8'))
      // Always start from a freshly written journal: a crash may have left a torn last line,
      // and appending after it would corrupt the next record too.
      this.fd = this.rewrite()
    } catch (e) {
      this.unlock()
      throw e
    }
  }

  get size(): number {
    return this.items.size
  }

  /** Live items in the order they were produced. */
  pending(): OutboxItem[] {
    return [...this.items.values()]
  }

  /** Journals a new item (durably) and returns it; past the bound the oldest items are dropped first. */
  add(input: NewItem): { item: OutboxItem; dropped: OutboxItem[] } {
    const dropped: OutboxItem[] = []
    while (this.items.size >= this.limit) {
      const oldest = this.items.values().next().value as OutboxItem
      this.settle(oldest.id, 'dropped')
      dropped.push(oldest)
    }
    const id = this.lastId + 1
    const item: OutboxItem =
      input.kind === 'telemetry' ? { ...input, id, seq: this.lastSeq + 1 } : { ...input, id }
    // Numbers are taken only once the line is on disk: a failed write (a full disk) must not
    // leave a gap in the sequence that the hub would count as a lost message.
    const size = fstatSync(this.fd).size
    try {
      this.append({ op: 'add', ...item })
      fdatasyncSync(this.fd)
    } catch (e) {
      // Cut off what part of the line made it, so the next record does not start mid-line.
      try {
        ftruncateSync(this.fd, size)
      } catch {
        // Replay skips a torn line; the record after it is the one at risk, and only then.
      }
      throw e
    }
    this.lastId = id
    if (item.kind === 'telemetry') this.lastSeq = item.seq
    this.items.set(id, item)
    return { item, dropped }
  }

  /**
   * Removes an item. Neither fsynced nor allowed to throw: losing a `done` line (in a crash, or
   * to a full disk) only means the item is sent again after a restart — a duplicate the hub can
   * recognise by message id, never a loss.
   */
  settle(id: number, why: Settlement): void {
    if (!this.items.delete(id)) return
    try {
      this.append({ op: 'done', id, why })
      if (++this.garbage > Math.max(256, this.items.size)) {
        const fresh = this.rewrite()
        closeSync(this.fd)
        this.fd = fresh
      }
    } catch {
      // Compaction is retried after the next settlement; the journal stays valid meanwhile.
    }
  }

  close(): void {
    if (this.fd < 0) return
    closeSync(this.fd)
    this.fd = -1
    this.unlock()
  }

  private unlock(): void {
    heldHere.delete(this.lockPath)
    try {
      unlinkSync(this.lockPath)
    } catch {
      // Already gone: nothing to release.
    }
  }

  private append(line: Line): void {
    const bytes = Buffer.from(JSON.stringify(line) + '\n')
    // writeSync may write less than asked: a short write left as is would be a torn line.
    for (let done = 0; done < bytes.length;)
      done += writeSync(this.fd, bytes, done, bytes.length - done)
  }

  private replay(text: string): void {
    for (const raw of text.split('\n')) {
      let line: Line
      try {
        line = JSON.parse(raw) as Line
      } catch {
        continue // a torn write from a crash: the item was never acknowledged to anyone
      }
      if (line.op === 'meta') {
        this.lastId = Math.max(this.lastId, line.lastId)
        this.lastSeq = Math.max(this.lastSeq, line.lastSeq)
      } else if (line.op === 'add') {
        const { op: _op, ...item } = line
        this.items.set(item.id, item)
        this.lastId = Math.max(this.lastId, item.id)
        if (item.kind === 'telemetry') this.lastSeq = Math.max(this.lastSeq, item.seq)
      } else if (line.op === 'done') {
        this.items.delete(line.id)
      }
    }
  }

  /** Writes meta + live items to a temporary file, syncs it, swaps it in; returns an append fd. */
  private rewrite(): number {
    const tmp = this.path + '.tmp'
    const fd = openSync(tmp, 'w')
    const lines: Line[] = [
      { op: 'meta', lastId: this.lastId, lastSeq: this.lastSeq },
      ...[...this.items.values()].map((i) => ({ op: 'add' as const, ...i })),
    ]
    writeSync(fd, lines.map((l) => JSON.stringify(l)).join('\n') + '\n')
    fsyncSync(fd)
    closeSync(fd)
    renameSync(tmp, this.path)
    this.garbage = 0
    return openSync(this.path, 'a')
  }
}
