import { readFileSync, unlinkSync, writeFileSync } from 'node:fs'
import { hostname, uptime } from 'node:os'
import { join } from 'node:path'

/** The outbox folder is in use by another live session: sharing it would lose or repeat data. */
export class OutboxBusy extends Error {}

/**
 * What the lock records about its holder. A pid alone is not an identity: after a crash and a
 * reboot the same number may belong to any process. The boot and the process's start time make
 * it one; the host name tells a folder shared between machines.
 */
interface Holder {
  pid: number
  /** The process's start time as the system counts it (Linux: clock ticks since boot). */
  started: string | null
  host: string
  bootId: string | null
  /** Boot time in ms, where no boot id can be read. */
  bootAt: number
}

/** Facts about this machine and its processes; tests put in their own. */
export interface HostFacts {
  pid: number
  hostname(): string
  /** A stable id of the current boot, where the platform has one (Linux). */
  bootId(): string | null
  /** When the machine booted, in ms since the epoch (good to a few seconds). */
  bootAt(): number
  /** When process `pid` started, in the system's own terms; null where it cannot be read. */
  started(pid: number): string | null
  alive(pid: number): boolean
}

function readOr(path: string): string | null {
  try {
    return readFileSync(path, 'utf8')
  } catch {
    return null
  }
}

export const systemHost: HostFacts = {
  pid: process.pid,
  hostname,
  bootId: () => readOr('/proc/sys/kernel/random/boot_id')?.trim() || null,
  bootAt: () => Date.now() - uptime() * 1000,
  started: (pid) => {
    // Field 22 of /proc/<pid>/stat, counted after the command name (which may hold spaces).
    const stat = readOr(`/proc/${pid}/stat`)
    const fields = stat?.slice(stat.lastIndexOf(')') + 2).split(' ')
    return fields?.[19] ?? null
  },
  alive: (pid) => {
    try {
      process.kill(pid, 0)
      return true
    } catch (e) {
      return (e as NodeJS.ErrnoException).code === 'EPERM'
    }
  },
}

/** A boot clock read twice drifts by a little; a reboot moves it by far more. */
const sameBootWithinMs = 120_000

const lockName = 'outbox.lock'

/** Locks this process holds, so a second session on one folder is refused here too. */
const heldHere = new Set<string>()

function parse(text: string): Holder | null {
  const trimmed = text.trim()
  // Written by earlier versions: the pid alone.
  if (/^\d+$/.test(trimmed))
    return { pid: Number(trimmed), started: null, host: '', bootId: null, bootAt: 0 }
  try {
    const h = JSON.parse(trimmed) as Partial<Holder>
    if (!Number.isInteger(h.pid) || (h.pid ?? 0) <= 0) return null
    return {
      pid: h.pid!,
      started: typeof h.started === 'string' ? h.started : null,
      host: typeof h.host === 'string' ? h.host : '',
      bootId: typeof h.bootId === 'string' ? h.bootId : null,
      bootAt: typeof h.bootAt === 'number' ? h.bootAt : 0,
    }
  } catch {
    return null
  }
}

/** Why the holder of a lock is still running, or null when the lock is left over. */
function stillHeld(h: Holder, host: HostFacts, dir: string): string | null {
  const here = host.hostname()
  if (h.host && h.host !== here)
    return `a copy of the app on ${h.host} (pid ${h.pid}) is this device: its outbox in ${dir} is in use. Close it there, or give this one another data folder (if it is not running, delete ${join(dir, lockName)}).`
  if (h.bootAt) {
    const bootId = host.bootId()
    const rebooted =
      h.bootId && bootId
        ? h.bootId !== bootId
        : Math.abs(h.bootAt - host.bootAt()) > sameBootWithinMs
    if (rebooted) return null
  }
  if (h.pid === host.pid || !host.alive(h.pid)) return null
  const started = host.started(h.pid)
  if (h.started && started && h.started !== started) return null // the pid now names another process
  return `another running copy of the app (pid ${h.pid}) is this device: its outbox in ${dir} is in use. Close the other one, or give this one another data folder.`
}

/**
 * Takes the folder's lock file (created exclusively). A lock left by a process that is gone
 * (crashed, or from before a reboot, even if its pid was reused since) is taken over; one held
 * by a live process is refused. Returns the release function.
 */
export function lockFolder(dir: string, host: HostFacts = systemHost): () => void {
  const path = join(dir, lockName)
  if (heldHere.has(path))
    throw new OutboxBusy(`the outbox in ${dir} is already open in this process`)
  const me: Holder = {
    pid: host.pid,
    started: host.started(host.pid),
    host: host.hostname(),
    bootId: host.bootId(),
    bootAt: Math.round(host.bootAt()),
  }
  for (let attempt = 0; ; attempt++) {
    try {
      writeFileSync(path, JSON.stringify(me) + '\n', { flag: 'wx' })
      heldHere.add(path)
      return () => {
        heldHere.delete(path)
        try {
          unlinkSync(path)
        } catch {
          // Already gone: nothing to release.
        }
      }
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EEXIST' || attempt > 0) throw e
    }
    const holder = parse(readOr(path) ?? '')
    const why = holder && stillHeld(holder, host, dir)
    if (why) throw new OutboxBusy(why)
    unlinkSync(path)
  }
}
