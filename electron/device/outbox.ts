import * as nodeFs from 'node:fs'
import { join } from 'node:path'
import { type HostFacts, lockFolder } from './outbox-lock'

export { OutboxBusy } from './outbox-lock'

/** A component's telemetry names its component (sent as the `$.sub` message property). */
export type OutboxItem =
  | {
      id: number
      kind: 'telemetry'
      at: number
      seq: number
      body: Record<string, unknown>
      component?: string
    }
  | { id: number; kind: 'reported'; at: number; patch: Record<string, unknown> }

export type NewItem =
  | { kind: 'telemetry'; at: number; body: Record<string, unknown>; component?: string }
  | { kind: 'reported'; at: number; patch: Record<string, unknown> }

/** Why an item left the outbox. */
export type Settlement = 'acked' | 'dropped' | 'failed'

type Line =
  | { op: 'meta'; lastId: number; lastSeq: number }
  | ({ op: 'add' } & OutboxItem)
  | { op: 'done'; id: number; why: Settlement }

/** The file system calls the outbox makes: node:fs, or a test's stand-in that fails on cue. */
export type OutboxFs = Pick<
  typeof nodeFs,
  | 'closeSync'
  | 'existsSync'
  | 'fdatasyncSync'
  | 'fstatSync'
  | 'fsyncSync'
  | 'ftruncateSync'
  | 'mkdirSync'
  | 'openSync'
  | 'readFileSync'
  | 'renameSync'
  | 'unlinkSync'
  | 'writeSync'
>

export interface OutboxOptions {
  fs?: OutboxFs
  host?: HostFacts
  /** Where a directory cannot be opened to fsync it (Windows), the step is skipped. */
  platform?: NodeJS.Platform
}

const journalName = 'outbox.jsonl'

/** The journal line that records an item (one JSON object, the item's fields after `op`). */
/** Ids and seqs: whole numbers far below where adding one stops making a new number. */
const isCount = (n: unknown): n is number =>
  typeof n === 'number' && Number.isInteger(n) && n >= 0 && n <= 2 ** 52
const isRecord = (v: unknown): v is Record<string, unknown> =>
  typeof v === 'object' && v !== null && !Array.isArray(v)

/** A journal line as written by this class, or null for anything else. */
function readLine(v: unknown): Line | null {
  if (!isRecord(v)) return null
  if (v['op'] === 'meta')
    return isCount(v['lastId']) && isCount(v['lastSeq'])
      ? { op: 'meta', lastId: v['lastId'], lastSeq: v['lastSeq'] }
      : null
  // Only the id of a `done` line matters on replay; why it was settled is for a reader.
  if (v['op'] === 'done')
    return isCount(v['id']) ? { op: 'done', id: v['id'], why: v['why'] as Settlement } : null
  if (v['op'] !== 'add' || !isCount(v['id'])) return null
  const { id, at } = v
  if (typeof at !== 'number' || !Number.isFinite(at)) return null
  if (v['kind'] === 'telemetry') {
    const { seq, body, component } = v
    if (!isCount(seq) || !isRecord(body)) return null
    if (component !== undefined && (typeof component !== 'string' || component === '')) return null
    return {
      op: 'add',
      id,
      kind: 'telemetry',
      at,
      seq,
      body,
      ...(component !== undefined ? { component } : {}),
    }
  }
  if (v['kind'] === 'reported' && isRecord(v['patch']))
    return { op: 'add', id, kind: 'reported', at, patch: v['patch'] }
  return null
}

const addLine = (item: OutboxItem): string => `{"op":"add",${JSON.stringify(item).slice(1)}\n`

/** Errors that mean "this platform cannot fsync a directory", not "the disk failed". */
const noDirSync = new Set(['EISDIR', 'EPERM', 'EACCES', 'EINVAL', 'ENOTSUP', 'EBADF'])

/**
 * Durable, bounded, append-only journal of what the device produced and the hub has not yet
 * acknowledged. One JSON line per event: `add` (fsynced before the item can be sent), `done`
 * (acked, dropped or failed). Compaction rewrites the file with only the live items, via a
 * temporary file, a rename and an fsync of the folder, so a crash or a power loss at any point
 * leaves either the old or the new journal, never an old one that forgot numbers handed out.
 *
 * Telemetry sequence numbers are allocated here, in the same line that journals the message:
 * a number handed out is a number on disk, so a crash can never leave a gap the lab would count
 * as loss. The high-water marks survive compaction in the `meta` line.
 *
 * addBatch() journals several items with one write and one fsync (group commit): nothing it
 * returns exists anywhere but on disk.
 */
export class Outbox {
  private readonly items = new Map<number, OutboxItem>()
  private readonly fs: OutboxFs
  private readonly dir: string
  private readonly path: string
  private readonly syncDirs: boolean
  private fd = -1
  private closed = false
  private lastId = 0
  private lastSeq = 0
  private garbage = 0
  private unreadable = 0
  /** `done` lines not yet written, and the write scheduled for them (see settle). */
  private doneLines: string[] = []
  private flushing: NodeJS.Immediate | null = null
  /** A compaction renamed the journal but could not yet make that rename durable. */
  private renameUnsynced = false
  private readonly unlock: () => void

  /** Throws OutboxBusy when another live session has this folder's outbox open. */
  constructor(
    dir: string,
    private readonly limit: number,
    options: OutboxOptions = {},
  ) {
    this.fs = options.fs ?? nodeFs
    this.dir = dir
    this.syncDirs = (options.platform ?? process.platform) !== 'win32'
    this.fs.mkdirSync(dir, { recursive: true })
    this.unlock = lockFolder(dir, options.host)
    this.path = join(dir, journalName)
    try {
      if (this.fs.existsSync(this.path)) this.replay(this.fs.readFileSync(this.path, 'utf8'))
      // Always start from a freshly written journal: a crash may have left a torn last line,
      // and appending after it would corrupt the next record too.
      this.rewrite()
      this.fd = this.fs.openSync(this.path, 'a')
    } catch (e) {
      this.unlock()
      throw e
    }
  }

  get size(): number {
    return this.items.size
  }

  /** Lines of the journal found at start that could not be read (not counting a torn last one). */
  get unreadableLines(): number {
    return this.unreadable
  }

  /** Live items in the order they were produced. */
  pending(): OutboxItem[] {
    return [...this.items.values()]
  }

  /** Journals a new item (durably) and returns it; past the bound the oldest items are dropped. */
  add(input: NewItem): { item: OutboxItem; dropped: OutboxItem[] } {
    const { items, dropped } = this.addBatch([input])
    return { item: items[0]!, dropped }
  }

  /**
   * Journals items with one write and one fsync, and returns them numbered. Only once they are
   * on disk are the oldest items dropped to keep within the bound: a failed write (a full disk)
   * throws, takes no number, and drops nothing.
   */
  addBatch(inputs: NewItem[]): { items: OutboxItem[]; dropped: OutboxItem[] } {
    const fd = this.appendFd()
    // A compaction whose rename is not yet durable would let a power loss bring back a journal
    // without the numbers handed out from here on.
    if (this.renameUnsynced) this.syncDir()
    let { lastId, lastSeq } = this
    const items = inputs.map((input): OutboxItem => {
      const id = ++lastId
      return input.kind === 'telemetry' ? { ...input, id, seq: ++lastSeq } : { ...input, id }
    })
    const lines = items.map(addLine)
    const size = this.fs.fstatSync(fd).size
    try {
      this.write(fd, lines.join(''))
      this.fs.fdatasyncSync(fd)
    } catch (e) {
      // Cut off what part of the lines made it, so the next record does not start mid-line.
      try {
        this.fs.ftruncateSync(fd, size)
      } catch {
        // Replay skips a torn line; the record after it is the one at risk, and only then.
      }
      throw e
    }
    this.lastId = lastId
    this.lastSeq = lastSeq
    for (const item of items) this.items.set(item.id, item)
    const dropped: OutboxItem[] = []
    while (this.items.size > this.limit) {
      const oldest = this.items.values().next().value as OutboxItem
      this.settle(oldest.id, 'dropped')
      dropped.push(oldest)
    }
    return { items, dropped }
  }

  /**
   * Removes an item. Neither fsynced nor allowed to throw: losing a `done` line (in a crash, or
   * to a full disk) only means the item is sent again after a restart — a duplicate the hub can
   * recognise by message id, never a loss. So the lines of the acknowledgements that arrive
   * together (a backlog's PUBACKs come in bursts) are written together, once this turn of the
   * event loop is over, instead of one write each.
   */
  settle(id: number, why: Settlement): void {
    if (!this.items.delete(id) || this.closed) return
    this.doneLines.push(`{"op":"done","id":${id},"why":"${why}"}\n`)
    if (++this.garbage > Math.max(256, this.items.size)) {
      try {
        this.compact()
      } catch {
        // Compaction is retried after the next settlement; the journal stays valid meanwhile.
      }
    }
    if (this.doneLines.length > 0 && !this.flushing)
      this.flushing = setImmediate(() => this.writeDone())
  }

  close(): void {
    if (this.closed) return
    this.writeDone()
    this.closed = true
    this.closeFd()
    this.unlock()
  }

  /** Writes the pending `done` lines in one go (see settle). Never throws. */
  private writeDone(): void {
    if (this.flushing) clearImmediate(this.flushing)
    this.flushing = null
    if (this.doneLines.length === 0 || this.closed) return
    const lines = this.doneLines.splice(0)
    let fd = -1
    let size = 0
    try {
      fd = this.appendFd()
      size = this.fs.fstatSync(fd).size
      this.write(fd, lines.join(''))
    } catch {
      // Cut off a torn line so the next record starts on its own; the lines themselves are let
      // go (duplicates after a restart at worst) and the next compaction drops those items.
      try {
        if (fd >= 0) this.fs.ftruncateSync(fd, size)
      } catch {
        // Replay skips a torn line.
      }
    }
  }

  private appendFd(): number {
    if (this.closed) throw new Error('the outbox is closed')
    // Reopened here if a compaction could not reopen it (the journal itself is intact).
    if (this.fd < 0) this.fd = this.fs.openSync(this.path, 'a')
    return this.fd
  }

  private closeFd(): void {
    if (this.fd < 0) return
    const fd = this.fd
    this.fd = -1
    this.fs.closeSync(fd)
  }

  /** Swaps in a journal of only the live items. The append fd is closed first: Windows cannot rename over an open file. */
  private compact(): void {
    this.closeFd()
    try {
      this.rewrite()
    } finally {
      this.fd = this.fs.openSync(this.path, 'a')
    }
  }

  private write(fd: number, text: string): void {
    const bytes = Buffer.from(text)
    // writeSync may write less than asked: a short write left as is would be a torn line.
    for (let done = 0; done < bytes.length;)
      done += this.fs.writeSync(fd, bytes, done, bytes.length - done)
  }

  private replay(text: string): void {
    const lines = text.split('\n')
    lines.forEach((raw, i) => {
      if (raw === '') return
      let parsed: unknown
      try {
        parsed = JSON.parse(raw)
      } catch {
        // The last line torn by a crash: its item was never acknowledged to anyone.
        if (i < lines.length - 1) this.unreadable++
        return
      }
      const line = readLine(parsed)
      if (line === null) {
        // A line mangled by hand or by a bad disk: skipped and counted, never let in to number
        // new items NaN or give two items one id.
        this.unreadable++
        return
      }
      if (line.op === 'meta') {
        this.lastId = Math.max(this.lastId, line.lastId)
        this.lastSeq = Math.max(this.lastSeq, line.lastSeq)
      } else if (line.op === 'add') {
        const { op: _op, ...item } = line
        this.items.set(item.id, item)
        this.lastId = Math.max(this.lastId, item.id)
        if (item.kind === 'telemetry') this.lastSeq = Math.max(this.lastSeq, item.seq)
      } else this.items.delete(line.id)
    })
  }

  /** Writes meta + live items to a temporary file, syncs it, renames it over the journal, syncs the folder. */
  private rewrite(): void {
    const tmp = this.path + '.tmp'
    const meta: Line = { op: 'meta', lastId: this.lastId, lastSeq: this.lastSeq }
    const text = JSON.stringify(meta) + '\n' + [...this.items.values()].map(addLine).join('')
    const fd = this.fs.openSync(tmp, 'w')
    try {
      this.write(fd, text)
      this.fs.fsyncSync(fd)
    } catch (e) {
      this.fs.closeSync(fd)
      try {
        this.fs.unlinkSync(tmp)
      } catch {
        // A leftover temporary file is rewritten on the next attempt.
      }
      throw e
    }
    this.fs.closeSync(fd)
    this.fs.renameSync(tmp, this.path)
    this.garbage = 0
    // The new journal holds only live items: what the pending lines would have said is in it.
    this.doneLines.length = 0
    this.renameUnsynced = true
    try {
      this.syncDir()
    } catch {
      // Retried before the next item is journaled (addBatch): nothing new depends on it yet.
    }
  }

  /** Makes the last rename durable: a rename lives in the folder, not in the file. */
  private syncDir(): void {
    if (!this.syncDirs) {
      this.renameUnsynced = false
      return
    }
    let fd: number
    try {
      fd = this.fs.openSync(this.dir, 'r')
    } catch (e) {
      if (!noDirSync.has((e as NodeJS.ErrnoException).code ?? '')) throw e
      this.renameUnsynced = false // this platform cannot open a folder: nothing more to do
      return
    }
    try {
      this.fs.fsyncSync(fd)
      this.renameUnsynced = false
    } catch (e) {
      if (!noDirSync.has((e as NodeJS.ErrnoException).code ?? '')) throw e
      this.renameUnsynced = false
    } finally {
      this.fs.closeSync(fd)
    }
  }
}
