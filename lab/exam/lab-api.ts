import type { HubName } from '../types'
import type { WireEvent } from './evidence'

/** The lab refused or did not answer: the exam says so in a line. */
export class LabCallError extends Error {
  constructor(
    message: string,
    readonly status: number | null = null,
  ) {
    super(message)
  }
}

export interface DeviceView {
  deviceId: string
  homeHub: HubName
  assignedHub: HubName
  connectedTo: HubName | null
  twin: { desired: Record<string, unknown>; reported: Record<string, unknown> }
  c2d: { messageId: string; state: string }[]
  conformance?: {
    modelId: string | null
    template: string
    findings: number
    recent: { kind: string; message: string }[]
  }
}

/** The control API calls the exam makes: the same API lizard and the window use. */
export class LabApi {
  constructor(
    readonly url: string,
    private readonly timeoutMs = 330_000,
  ) {}

  async call<T>(method: string, path: string, body?: unknown): Promise<T> {
    let res: Response
    try {
      res = await fetch(this.url + path, {
        method,
        headers: body === undefined ? {} : { 'content-type': 'application/json' },
        body: body === undefined ? undefined : JSON.stringify(body),
        signal: AbortSignal.timeout(this.timeoutMs),
      })
    } catch {
      throw new LabCallError(`no lab answers at ${this.url}`)
    }
    const text = await res.text()
    let data: unknown
    try {
      data = JSON.parse(text)
    } catch {
      throw new LabCallError(`${this.url} answered ${res.status} with something that is not JSON`)
    }
    if (!res.ok) {
      const m = (data as { error?: { message?: unknown } } | null)?.error?.message
      throw new LabCallError(
        typeof m === 'string' ? m : `the lab answered ${res.status}`,
        res.status,
      )
    }
    return data as T
  }

  device(id: string): Promise<DeviceView> {
    return this.call('GET', `/devices/${encodeURIComponent(id)}`)
  }

  watch(id: string): Promise<unknown> {
    return this.call('POST', `/devices/${encodeURIComponent(id)}/watch`, {})
  }

  unwatch(id: string): Promise<unknown> {
    return this.call('DELETE', `/devices/${encodeURIComponent(id)}/watch`)
  }

  async wire(id: string, since = 0): Promise<WireEvent[]> {
    const r = await this.call<{ events: WireEvent[] }>(
      'GET',
      `/devices/${encodeURIComponent(id)}/wire?since=${since}`,
    )
    return r.events
  }
}
