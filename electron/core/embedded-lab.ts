import type { LabOptions } from '../../lab/types'
import type { LabService } from './lab-process'

export type EmbeddedLabStatus =
  | { status: 'none' }
  | { status: 'starting' }
  | { status: 'running'; lab: LabService }
  | { status: 'stopped'; reason: string }

type LabStartOptions = Omit<LabOptions, 'log'>

/**
 * The lab the app runs for itself when no IoT Central profile is in use. It lives in another
 * process: when that process dies the app keeps going, says why, and can start it again on the
 * same ports (so the device's settings stay valid and it reconnects by itself).
 */
export class EmbeddedLab {
  private current: EmbeddedLabStatus = { status: 'none' }
  private starts = 0
  /** The lab that ran last, even if it died: a restart takes its ports again. */
  private previous: LabService | null = null

  constructor(
    private readonly start: (options: LabStartOptions) => Promise<LabService>,
    private readonly options: LabStartOptions,
    private readonly log: (line: string) => void,
    private readonly changed: () => void,
  ) {}

  get state(): EmbeddedLabStatus {
    return this.current
  }

  get running(): LabService | null {
    return this.current.status === 'running' ? this.current.lab : null
  }

  /** The running lab, starting it if needed. Throws (with the reason kept) when it cannot start. */
  async ensure(): Promise<LabService> {
    if (this.current.status === 'running') return this.current.lab
    return this.launch(this.options)
  }

  /** The lab that ran last (running or not): what the device's settings were built from. */
  get last(): LabService | null {
    return this.previous
  }

  /** Stops the lab if it runs, and starts it again where it was (same ports when free). */
  async restart(): Promise<LabService> {
    const was = this.previous
    await this.stop()
    const ports: LabStartOptions = was
      ? {
          dpsPort: portOf(was.dpsHost),
          hubAPort: was.hubs.a.port,
          hubBPort: was.hubs.b.port,
          controlPort: portOf(was.controlUrl),
        }
      : {}
    return this.launch({ ...this.options, ...ports })
  }

  async stop(): Promise<void> {
    const lab = this.running
    this.set({ status: 'none' })
    if (lab)
      await lab
        .stop()
        .catch((err: unknown) => this.log(`[lab] stop failed: ${(err as Error).message}`))
  }

  private async launch(options: LabStartOptions): Promise<LabService> {
    this.set({ status: 'starting' })
    let lab: LabService
    try {
      lab = await this.startOrFreePorts(options)
    } catch (err) {
      this.set({ status: 'stopped', reason: `the lab could not start: ${(err as Error).message}` })
      throw err
    }
    lab.onExit((reason) => {
      if (this.running !== lab) return
      this.log(`[lab] stopped: ${reason}`)
      this.set({ status: 'stopped', reason })
    })
    this.previous = lab
    this.set({ status: 'running', lab })
    this.starts++
    return lab
  }

  private async startOrFreePorts(options: LabStartOptions): Promise<LabService> {
    try {
      return await this.start(options)
    } catch (err) {
      if (!isAddressInUse(err)) throw err
      // The lab moves off taken ports itself; this is the belt to its braces.
      this.log(`[lab] its ports are taken (${(err as Error).message}); using free ports`)
      return this.start({ ...options, dpsPort: 0, hubAPort: 0, hubBPort: 0, controlPort: 0 })
    }
  }

  /** How many times a lab came up; a second start means a new address to tell the terminal. */
  get startCount(): number {
    return this.starts
  }

  private set(next: EmbeddedLabStatus): void {
    this.current = next
    this.changed()
  }
}

function portOf(hostOrUrl: string): number | undefined {
  const m = /:(\d+)\/?$/.exec(hostOrUrl)
  return m ? Number(m[1]) : undefined
}

function isAddressInUse(err: unknown): boolean {
  if (!err || typeof err !== 'object') return false
  const e = err as { code?: unknown; message?: unknown }
  return (
    e.code === 'EADDRINUSE' || (typeof e.message === 'string' && e.message.includes('EADDRINUSE'))
  )
}
