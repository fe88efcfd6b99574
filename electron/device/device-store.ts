import { existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'

interface Stored {
  /** The first hub DPS ever assigned: DPS naming another one is a failover, naming this one again a failback. */
  homeHub: string | null
}

/** Small facts about the device that must outlive the process, kept beside the outbox. */
export class DeviceStore {
  private readonly path: string
  private data: Stored = { homeHub: null }

  constructor(dir: string) {
    mkdirSync(dir, { recursive: true })
    this.path = join(dir, 'device.json')
    if (existsSync(this.path)) {
      try {
        const parsed = JSON.parse(readFileSync(this.path, 'utf8')) as Partial<Stored>
        this.data.homeHub = typeof parsed.homeHub === 'string' ? parsed.homeHub : null
      } catch {
        // An unreadable file only costs the home hub: the next assignment becomes home again.
      }
    }
  }

  get homeHub(): string | null {
    return this.data.homeHub
  }

  set homeHub(hub: string | null) {
    this.data.homeHub = hub
    const tmp = this.path + '.tmp'
    writeFileSync(tmp, JSON.stringify(this.data) + '\n')
    renameSync(tmp, this.path)
  }
}
