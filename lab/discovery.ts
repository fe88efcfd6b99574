import {
  mkdirSync,
  readdirSync,
  readFileSync,
  renameSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs'
import { homedir } from 'node:os'
import { join } from 'node:path'
import { z } from 'zod'

export const defaultControlPort = 8090
export const defaultPorts = { dps: 8883, a: 8884, b: 8885 }

export function defaultDataDir(): string {
  return process.env.IOTC_LAB_DIR || join(homedir(), '.iotc-ha-lab')
}

/** What the CLI needs to find a running lab. Never holds the group key. */
export interface Discovery {
  controlUrl: string
  dpsHost: string
  idScope: string
  caPath: string
  hubs: { a: string; b: string }
  pid: number
  startedAt: string
  /** What the lab's /health answers, so a reused port or pid is not taken for this lab. */
  instance?: string
}

const entrySchema = z.object({
  controlUrl: z.string().regex(/^http:\/\/127\.0\.0\.1:\d{1,5}$/),
  dpsHost: z.string().max(300),
  idScope: z.string().max(100),
  caPath: z.string().max(4096),
  hubs: z.object({ a: z.string().max(300), b: z.string().max(300) }),
  pid: z.number().int().positive(),
  startedAt: z.string().max(100),
  instance: z.string().max(100).optional(),
})

// Each running lab has an entry of its own; `lab.json` is where labs before this one wrote theirs.
const labsFolder = (dataDir: string) => join(dataDir, 'labs')
const legacyFile = 'lab.json'

/** Writes this lab's own entry (atomically) and returns its path, for removeDiscovery. */
export function writeDiscovery(dataDir: string, d: Discovery): string {
  const folder = labsFolder(dataDir)
  mkdirSync(folder, { recursive: true })
  const port = new URL(d.controlUrl).port
  const path = join(folder, `${d.pid}-${port}.json`)
  const tmp = `${path}.${process.pid}.tmp`
  writeFileSync(tmp, JSON.stringify(d, null, 2) + '\n')
  renameSync(tmp, path)
  return path
}

/** Removes one lab's own entry; other labs' entries are theirs to remove. */
export function removeDiscovery(path: string): void {
  rmSync(path, { force: true })
}

interface Entry {
  path: string
  lab: Discovery
}

/** Every entry on disk that parses, without asking whether its lab still runs. */
export function readEntries(dataDir = defaultDataDir()): Entry[] {
  const paths: string[] = [join(dataDir, legacyFile)]
  try {
    for (const f of readdirSync(labsFolder(dataDir)))
      if (f.endsWith('.json')) paths.push(join(labsFolder(dataDir), f))
  } catch {
    // No labs folder yet.
  }
  const out: Entry[] = []
  for (const path of paths) {
    try {
      if (statSync(path).size > 64 * 1024) continue
      const r = entrySchema.safeParse(JSON.parse(readFileSync(path, 'utf8')))
      if (r.success) out.push({ path, lab: r.data })
    } catch {
      // Missing, unreadable or not JSON: not a lab.
    }
  }
  return out
}

function pidAlive(pid: number): boolean {
  try {
    process.kill(pid, 0)
    return true
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM'
  }
}

async function answers(lab: Discovery, timeoutMs: number): Promise<boolean> {
  try {
    const res = await fetch(`${lab.controlUrl}/health`, { signal: AbortSignal.timeout(timeoutMs) })
    const body = (await res.json()) as { ok?: unknown; instance?: unknown }
    return body.ok === true && (lab.instance === undefined || body.instance === lab.instance)
  } catch {
    return false
  }
}

/**
 * The labs running now, from their discovery entries: an entry whose process is gone is removed;
 * one whose control API does not answer as that lab is left alone and skipped.
 */
export async function findLabs(dataDir = defaultDataDir(), timeoutMs = 1500): Promise<Discovery[]> {
  const entries = readEntries(dataDir).filter((e) => {
    if (pidAlive(e.lab.pid)) return true
    rmSync(e.path, { force: true })
    return false
  })
  const live = await Promise.all(
    entries.map(async (e) => ((await answers(e.lab, timeoutMs)) ? e.lab : null)),
  )
  const seen = new Set<string>()
  return live.filter(
    (l): l is Discovery => l !== null && !seen.has(l.controlUrl) && !!seen.add(l.controlUrl),
  )
}

export type Pick =
  { kind: 'one'; lab: Discovery } | { kind: 'none' } | { kind: 'several'; labs: Discovery[] }

/** The one running lab to talk to, or none, or the several to choose from. */
export async function pickLab(dataDir = defaultDataDir()): Promise<Pick> {
  const labs = await findLabs(dataDir)
  if (labs.length === 1) return { kind: 'one', lab: labs[0]! }
  return labs.length === 0 ? { kind: 'none' } : { kind: 'several', labs }
}

/** Kept for callers of the single-file era: the only running lab, or null. */
export async function readDiscovery(dataDir = defaultDataDir()): Promise<Discovery | null> {
  const p = await pickLab(dataDir)
  return p.kind === 'one' ? p.lab : null
}
