import type { HubName } from '../types'
import type { WireEvent } from './evidence'

/** The lab refused or did not answer: the exam says so in a line. */
export class LabCallError extends Error {
  constructor(
    message: string,
    readonly status: number | null = null,
    /** The lab's error code (`device-not-found`, `not-watched`…), when it sent one. */
    readonly code: string | null = null,
  ) {
    super(message)
  }
}

export interface DeviceView {
  deviceId: string
  homeHub: HubName
  assignedHub: HubName
  connectedTo: HubName | null
  failedOverUntil?: string | null
  modelId?: string | null
  dpsModelId?: string | null
  twin: { desired: Record<string, unknown>; reported: Record<string, unknown> }
  c2d: { messageId: string; state: string }[]
  conformance?: {
    modelId: string | null
    template: string
    note?: string | null
    checked?: number
    findings: number
    recent: { at?: string; kind: string; message: string }[]
  }
}

/** What GET /lab says of the hubs and DPS, as far as the exam needs it. */
export interface LabView {
  hubs: Record<HubName, { mode: string; dps: { state: string; available: boolean } }>
  dps: { mode: string }
}

export interface WirePage {
  events: WireEvent[]
  dropped: number
  missed: number
  next: number
  more: boolean
}

/** The control API calls the exam makes: the same API lizard and the window use. */
export class LabApi {
  constructor(
    readonly url: string,
    private readonly timeoutMs = 330_000,
    /** Aborts calls under way (Ctrl+C); a LabApi without one is for restoring the lab. */
    private readonly signal?: AbortSignal,
  ) {}

  /** The same lab, with calls that stop when `signal` aborts. */
  stoppable(signal: AbortSignal): LabApi {
    return new LabApi(this.url, this.timeoutMs, signal)
  }

  async call<T>(method: string, path: string, body?: unknown): Promise<T> {
    let res: Response
    const timeout = AbortSignal.timeout(this.timeoutMs)
    try {
      res = await fetch(this.url + path, {
        method,
        headers: body === undefined ? {} : { 'content-type': 'application/json' },
        body: body === undefined ? undefined : JSON.stringify(body),
        signal: this.signal ? AbortSignal.any([timeout, this.signal]) : timeout,
      })
    } catch {
      if (this.signal?.aborted) throw new LabCallError('stopped', null, 'stopped')
      throw new LabCallError(
        timeout.aborted
          ? `the lab at ${this.url} did not answer ${method} ${path.split('?')[0]} in ${Math.round(this.timeoutMs / 1000)} s`
          : `no lab answers at ${this.url} — start one with \`npm run lab\` or the app, or set LIZARD_URL`,
      )
    }
    let text: string
    try {
      text = await res.text()
    } catch {
      throw new LabCallError(
        this.signal?.aborted ? 'stopped' : `the lab at ${this.url} stopped answering`,
      )
    }
    let data: unknown
    try {
      data = JSON.parse(text)
    } catch {
      throw new LabCallError(`${this.url} answered ${res.status} with something that is not JSON`)
    }
    if (!res.ok) {
      const err = (data as { error?: { message?: unknown; code?: unknown } } | null)?.error
      throw new LabCallError(
        typeof err?.message === 'string' ? err.message : `the lab answered ${res.status}`,
        res.status,
        typeof err?.code === 'string' ? err.code : null,
      )
    }
    return data as T
  }

  lab(): Promise<LabView> {
    return this.call('GET', '/lab')
  }

  device(id: string): Promise<DeviceView> {
    return this.call('GET', `/devices/${encodeURIComponent(id)}`)
  }

  watch(id: string, forSec?: number): Promise<unknown> {
    return this.call(
      'POST',
      `/devices/${encodeURIComponent(id)}/watch`,
      forSec === undefined ? {} : { forSec },
    )
  }

  unwatch(id: string): Promise<unknown> {
    return this.call('DELETE', `/devices/${encodeURIComponent(id)}/watch`)
  }

  /** One page of the device's wire events after serial `after`. */
  wirePage(id: string, after = 0): Promise<WirePage> {
    return this.call('GET', `/devices/${encodeURIComponent(id)}/wire?after=${after}`)
  }

  /** Every event the lab has for a watched device since `since` (ms), page by page. */
  async wire(id: string, since = 0): Promise<WireEvent[]> {
    const out: WireEvent[] = []
    let after = 0
    for (let pages = 0; pages < 100; pages++) {
      const p = await this.call<WirePage>(
        'GET',
        `/devices/${encodeURIComponent(id)}/wire?since=${since}&after=${after}`,
      )
      out.push(...p.events)
      after = p.next
      if (!p.more) break
    }
    return out
  }
}
