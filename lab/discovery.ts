import { existsSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { homedir } from 'node:os'
import { join } from 'node:path'

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
}

const fileName = 'lab.json'

export function writeDiscovery(dataDir: string, d: Discovery): void {
  writeFileSync(join(dataDir, fileName), JSON.stringify(d, null, 2) + '\n')
}

export function readDiscovery(dataDir = defaultDataDir()): Discovery | null {
  const p = join(dataDir, fileName)
  if (!existsSync(p)) return null
  try {
    return JSON.parse(readFileSync(p, 'utf8')) as Discovery
  } catch {
    return null
  }
}

/** Removes the file only if it still describes this process's lab. */
export function removeDiscovery(dataDir: string, pid = process.pid): void {
  const d = readDiscovery(dataDir)
  if (d && d.pid === pid) rmSync(join(dataDir, fileName), { force: true })
}
