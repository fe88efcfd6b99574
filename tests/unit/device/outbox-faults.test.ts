import * as nodeFs from 'node:fs'
import { mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { Outbox, type OutboxFs } from '../../../electron/device/outbox'

// The outbox's promises under failing disks and other platforms, through a file-system seam
// that fails on cue, remembers what it did, and can behave as Windows does.

let dir: string
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'outbox-faults-'))
})
afterEach(() => rmSync(dir, { recursive: true, force: true }))

const tel = (n: number) => ({ kind: 'telemetry' as const, at: n, body: { temp: n } })
const seqs = (box: Outbox) => box.pending().map((i) => (i.kind === 'telemetry' ? i.seq : -1))
const errno = (code: string) => Object.assign(new Error(code), { code })

type Op = 'openSync' | 'writeSync' | 'fsyncSync' | 'fdatasyncSync' | 'renameSync'

/** node:fs, recording each call as `op name` and failing the ones a rule picks. */
function seam(opts: { windows?: boolean } = {}) {
  const open = new Map<number, string>()
  const log: string[] = []
  const rules: { op: Op; on: (path: string) => boolean; code: string; times: number }[] = []
  const name = (p: string) => (p === dir ? '<dir>' : p.slice(dir.length + 1))
  const check = (op: Op, path: string) => {
    log.push(`${op} ${name(path)}`)
    const rule = rules.find((r) => r.op === op && r.times > 0 && r.on(name(path)))
    if (!rule) return
    rule.times--
    throw errno(rule.code)
  }
  const fs: OutboxFs = {
    ...nodeFs,
    openSync: ((path: string, flags: string) => {
      check('openSync', String(path))
      const fd = nodeFs.openSync(path, flags)
      open.set(fd, String(path))
      return fd
    }) as OutboxFs['openSync'],
    closeSync: (fd) => {
      open.delete(fd)
      nodeFs.closeSync(fd)
    },
    writeSync: ((fd: number, ...rest: unknown[]) => {
      check('writeSync', open.get(fd) ?? '?')
      return (nodeFs.writeSync as (...a: unknown[]) => number)(fd, ...rest)
    }) as OutboxFs['writeSync'],
    fsyncSync: (fd) => {
      check('fsyncSync', open.get(fd) ?? '?')
      nodeFs.fsyncSync(fd)
    },
    fdatasyncSync: (fd) => {
      check('fdatasyncSync', open.get(fd) ?? '?')
      nodeFs.fdatasyncSync(fd)
    },
    renameSync: (from, to) => {
      check('renameSync', String(to))
      // Windows refuses to replace a file that is open.
      if (opts.windows && [...open.values()].includes(String(to))) throw errno('EPERM')
      nodeFs.renameSync(from, to)
    },
  }
  return {
    fs,
    log,
    open,
    fail(op: Op, on: (name: string) => boolean, code: string, times = 1) {
      rules.push({ op, on, code, times })
    },
  }
}

/** Adds, then settles, enough to make the outbox compact its journal once (while settling). */
function compactOnce(box: Outbox) {
  const ids = Array.from({ length: 300 }, (_, i) => box.add(tel(i)).item.id)
  for (const id of ids) box.settle(id, 'acked')
}

const journalLines = () => readFileSync(join(dir, 'outbox.jsonl'), 'utf8').trim().split('\n').length

describe('Outbox durability', () => {
  it('fsyncs the folder after the compaction rename, so a power loss cannot bring the old journal back', () => {
    const s = seam()
    const box = new Outbox(dir, 1000, { fs: s.fs, platform: 'linux' })
    s.log.length = 0
    compactOnce(box)
    const rename = s.log.indexOf('renameSync outbox.jsonl')
    expect(rename).toBeGreaterThan(0)
    expect(s.log.slice(rename + 1, rename + 3)).toEqual(['openSync <dir>', 'fsyncSync <dir>'])
    box.close()
  })

  it('skips the folder fsync where a folder cannot be opened (Windows), and still compacts', () => {
    const win = seam({ windows: true })
    const box = new Outbox(dir, 1000, { fs: win.fs, platform: 'win32' })
    compactOnce(box)
    expect(win.log).not.toContain('openSync <dir>')
    expect(journalLines()).toBeLessThan(300)
    box.close()

    // A platform that says so only when asked (EISDIR on open) is treated the same.
    const other = seam()
    other.fail('openSync', (n) => n === '<dir>', 'EISDIR', 1000)
    const again = new Outbox(dir, 1000, { fs: other.fs, platform: 'linux' })
    compactOnce(again)
    expect(again.add(tel(1)).item).toMatchObject({ kind: 'telemetry' })
    again.close()
  })

  it('compacts where an open file cannot be renamed over (Windows): the journal is closed first', () => {
    const s = seam({ windows: true })
    const box = new Outbox(dir, 1000, { fs: s.fs, platform: 'win32' })
    compactOnce(box)
    const live = box.add(tel(1)).item
    expect(journalLines()).toBeLessThan(300)
    box.close()
    expect(new Outbox(dir, 1000).pending().map((i) => i.id)).toEqual([live.id])
  })

  it('a folder fsync that fails for real (EIO) is retried before anything new is journaled', () => {
    const s = seam()
    const box = new Outbox(dir, 1000, { fs: s.fs, platform: 'linux' })
    s.fail('fsyncSync', (n) => n === '<dir>', 'EIO', 2)
    compactOnce(box) // the compaction's own attempt fails, quietly: settle() never throws
    const before = box.size
    expect(() => box.add(tel(1))).toThrow(/EIO/) // retried, fails again: nothing taken
    expect(box.size).toBe(before)
    const next = box.add(tel(2)).item // third time lucky
    expect(next.kind === 'telemetry' && next.seq).toBe(301)
    box.close()
  })

  it('never leaks the temporary file descriptor when its write or fsync throws', () => {
    for (const op of ['writeSync', 'fsyncSync'] as const) {
      const s = seam()
      const box = new Outbox(dir, 1000, { fs: s.fs, platform: 'linux' })
      box.add(tel(1))
      s.fail(op, (n) => n === 'outbox.jsonl.tmp', 'ENOSPC')
      compactOnce(box)
      expect([...s.open.values()]).toEqual([join(dir, 'outbox.jsonl')])
      expect(readdirSync(dir)).not.toContain('outbox.jsonl.tmp')
      expect(box.size).toBe(1)
      box.close()
      expect(s.open.size).toBe(0)
      const reopened = new Outbox(dir, 1000)
      expect(reopened.size).toBe(1)
      reopened.close()
      rmSync(join(dir, 'outbox.jsonl'))
    }
  })

  it('a journal that cannot be rewritten at start refuses to open, leaking nothing and keeping no lock', () => {
    new Outbox(dir, 10).close()
    const s = seam()
    s.fail('fsyncSync', (n) => n === 'outbox.jsonl.tmp', 'EIO')
    expect(() => new Outbox(dir, 10, { fs: s.fs })).toThrow(/EIO/)
    expect(s.open.size).toBe(0)
    new Outbox(dir, 10).close() // not locked
  })

  it('never drops the oldest entry before the new one is safely on disk', () => {
    const s = seam()
    const box = new Outbox(dir, 3, { fs: s.fs, platform: 'linux' })
    for (let i = 1; i <= 3; i++) box.add(tel(i))
    s.fail('fdatasyncSync', () => true, 'EIO')
    expect(() => box.add(tel(4))).toThrow(/EIO/)
    expect(seqs(box)).toEqual([1, 2, 3])
    const { item, dropped } = box.add(tel(5))
    expect(item.kind === 'telemetry' && item.seq).toBe(4)
    expect(dropped.map((d) => (d.kind === 'telemetry' ? d.seq : -1))).toEqual([1])
    box.close()
    expect(seqs(new Outbox(dir, 3))).toEqual([2, 3, 4])
  })

  it('journals a batch with one write and one fsync (group commit), numbered in order', () => {
    const s = seam()
    const box = new Outbox(dir, 100, { fs: s.fs, platform: 'linux' })
    s.log.length = 0
    const { items } = box.addBatch([
      tel(1),
      { kind: 'reported', at: 2, patch: { battery: 9 } },
      tel(3),
    ])
    expect(items.map((i) => (i.kind === 'telemetry' ? i.seq : 'r'))).toEqual([1, 'r', 2])
    expect(s.log).toEqual(['writeSync outbox.jsonl', 'fdatasyncSync outbox.jsonl'])
    box.close()
    expect(new Outbox(dir, 100).size).toBe(3)
  })
})

describe('Outbox lock', () => {
  const host = (over: Partial<Parameters<typeof facts>[0]> = {}) => facts(over)
  function facts(o: {
    pid?: number
    hostname?: string
    bootId?: string | null
    bootAt?: number
    started?: Record<number, string>
    alive?: number[]
  }) {
    return {
      pid: o.pid ?? 100,
      hostname: () => o.hostname ?? 'laptop',
      bootId: () => (o.bootId === undefined ? 'boot-1' : o.bootId),
      bootAt: () => o.bootAt ?? 1_700_000_000_000,
      started: (pid: number) => o.started?.[pid] ?? null,
      alive: (pid: number) => (o.alive ?? []).includes(pid),
    }
  }
  const lock = () => join(dir, 'outbox.lock')
  /** The lock a process left when it crashed. */
  const leftBy = (holder: {
    pid: number
    started?: string
    host?: string
    bootId?: string | null
    bootAt?: number
  }) =>
    writeFileSync(
      lock(),
      JSON.stringify({
        started: null,
        host: 'laptop',
        bootId: 'boot-1',
        bootAt: 1_700_000_000_000,
        ...holder,
      }),
    )

  it('records more than the pid: start time, host and boot', () => {
    const box = new Outbox(dir, 10, { host: host({ pid: 100, started: { 100: '555' } }) })
    expect(JSON.parse(readFileSync(lock(), 'utf8'))).toEqual({
      pid: 100,
      started: '555',
      host: 'laptop',
      bootId: 'boot-1',
      bootAt: 1_700_000_000_000,
    })
    box.close()
  })

  it('after a crash and a reboot, a lock whose pid now names another live process is taken over', () => {
    leftBy({ pid: 42, bootId: 'boot-1' })
    // Rebooted: pid 42 is alive again, but it is some other program.
    const box = new Outbox(dir, 10, { host: host({ pid: 7, bootId: 'boot-2', alive: [42] }) })
    box.close()
  })

  it('without boot ids (macOS, Windows), a boot time far from the recorded one is a reboot', () => {
    writeFileSync(
      lock(),
      JSON.stringify({ pid: 42, started: null, host: 'laptop', bootId: null, bootAt: 1_000 }),
    )
    const box = new Outbox(dir, 10, {
      host: host({ pid: 7, bootId: null, bootAt: 1_000 + 3_600_000, alive: [42] }),
    })
    box.close()
  })

  it('in the same boot, a live pid that started at another time is another process: taken over', () => {
    leftBy({ pid: 42, started: '1000' })
    const box = new Outbox(dir, 10, {
      host: host({ pid: 7, started: { 42: '9999' }, alive: [42] }),
    })
    box.close()
  })

  it('the same live process, same boot, same start time: refused, naming the pid', () => {
    leftBy({ pid: 42, started: '1000' })
    expect(
      () => new Outbox(dir, 10, { host: host({ pid: 7, started: { 42: '1000' }, alive: [42] }) }),
    ).toThrow(/another running copy of the app \(pid 42\)/)
  })

  it('a lock written on another machine (a shared folder) is refused, saying which', () => {
    leftBy({ pid: 42, host: 'desk' })
    expect(() => new Outbox(dir, 10, { host: host({ pid: 7 }) })).toThrow(/on desk \(pid 42\)/)
  })

  it('an old pid-only lock still works: a dead pid is taken over', () => {
    writeFileSync(lock(), '42')
    new Outbox(dir, 10, { host: host({ pid: 7, alive: [] }) }).close()
  })
})
