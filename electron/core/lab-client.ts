import type { ModelDocument } from '../../shared/dtdl'
import type { LabAction, LabConformance, LabStats, LabStatus } from '../../shared/lab-actions'
import { AppFailure } from './errors'

/** A lab answer is small JSON; anything past this is not the lab talking. */
const maxAnswerBytes = 1 << 20
const timeoutMs = 35_000

/** One call to the embedded lab's control API (127.0.0.1, the same API `lizard` uses). */
async function labCall(
  controlUrl: string,
  method: string,
  path: string,
  body?: unknown,
  bounds: { maxBytes: number; timeoutMs: number } = { maxBytes: maxAnswerBytes, timeoutMs },
): Promise<unknown> {
  let res: Response
  try {
    res = await fetch(controlUrl + path, {
      method,
      headers: body === undefined ? {} : { 'content-type': 'application/json' },
      body: body === undefined ? undefined : JSON.stringify(body),
      signal: AbortSignal.timeout(bounds.timeoutMs),
    })
  } catch (err) {
    throw new AppFailure(
      'unavailable',
      `The lab did not answer at ${controlUrl}: ${(err as Error).message}`,
    )
  }
  const text = await res.text()
  if (text.length > bounds.maxBytes)
    throw new AppFailure('protocol', 'The lab sent an answer too large to read.')
  let data: unknown
  try {
    data = JSON.parse(text)
  } catch {
    throw new AppFailure(
      'protocol',
      `The lab answered ${res.status} with something that is not JSON.`,
    )
  }
  if (!res.ok) {
    const message = (data as { error?: { message?: unknown } } | null)?.error?.message
    throw new AppFailure(
      res.status === 404 ? 'not-found' : 'bad-request',
      typeof message === 'string' ? message.slice(0, 500) : `The lab answered ${res.status}.`,
    )
  }
  return data
}

/** One GET on the lab's control API, bounded in time and size (lists: up to `maxBytes`). */
export const labGet = (controlUrl: string, path: string, maxBytes = maxAnswerBytes) =>
  labCall(controlUrl, 'GET', path, undefined, { maxBytes, timeoutMs: 10_000 })

const enc = encodeURIComponent

/** Carries out a lab-panel action on the lab; answers with what the lab said, in a line. */
export async function runLabAction(
  controlUrl: string,
  deviceId: string,
  a: LabAction,
): Promise<string> {
  const device = `/devices/${enc(deviceId)}`
  switch (a.action) {
    case 'failover': {
      const r = (await labCall(
        controlUrl,
        'POST',
        `/system/iothub/devices/${enc(deviceId)}/manual-failover`,
        a.ttl === undefined ? {} : { ttl: a.ttl },
      )) as { message?: string }
      return String(r.message ?? 'failing over')
    }
    case 'failback': {
      const r = (await labCall(
        controlUrl,
        'POST',
        `/system/iothub/devices/${enc(deviceId)}/manual-failback`,
        {},
      )) as { message?: string }
      return String(r.message ?? 'failing back')
    }
    case 'outage': {
      const r = (await labCall(controlUrl, 'POST', `/hubs/${a.hub}/outage`, {
        ...(a.forSeconds !== undefined ? { for: a.forSeconds } : {}),
        mode: a.blackhole ? 'blackhole' : 'kill',
      })) as { outage?: { plan?: { text?: string }[] } }
      return (
        (r.outage?.plan ?? []).map((s) => String(s.text)).join(' · ') ||
        `hub ${a.hub.toUpperCase()} is down`
      )
    }
    case 'hub': {
      const r = (await labCall(controlUrl, 'POST', `/hubs/${a.hub}/${a.op}`, {})) as {
        mode?: string
      }
      return `hub ${a.hub.toUpperCase()} is ${String(r.mode ?? a.op)}`
    }
    case 'dps': {
      const r = (await labCall(controlUrl, 'POST', `/dps/${a.op}`, {})) as { mode?: string }
      return `DPS is ${String(r.mode ?? a.op)}`
    }
    case 'invoke': {
      const r = (await labCall(controlUrl, 'POST', `${device}/methods`, {
        methodName: a.method,
        payload: a.payload ?? null,
        responseTimeoutInSeconds: 10,
      })) as { status?: number; payload?: unknown }
      return `${a.method} answered ${String(r.status)} ${JSON.stringify(r.payload ?? null).slice(0, 300)}`
    }
    case 'command': {
      const r = (await labCall(controlUrl, 'POST', `${device}/c2d`, {
        body: a.payload ?? null,
        properties: { 'method-name': a.name },
      })) as { state?: string }
      return `${a.name} sent as C2D (${String(r.state ?? 'queued')})`
    }
    case 'desired': {
      const r = (await labCall(controlUrl, 'PATCH', `${device}/twin/desired`, a.patch)) as {
        desired?: { $version?: number }
      }
      return `desired properties patched (version ${String(r.desired?.$version ?? '?')})`
    }
  }
}

interface HubViewish {
  host?: string
  mode?: string
  dps?: {
    available?: boolean
    detectAt?: string | null
    rebalanceAt?: string | null
    unaware?: boolean
  }
  outage?: { restoreAt?: string; plan?: { at?: string; text?: string }[] } | null
}

const clock = (iso: string | null | undefined) => (iso ? new Date(iso).toLocaleTimeString() : '')

/** The lab's hubs and DPS as the lab panel shows them. */
export async function readLabStatus(controlUrl: string): Promise<LabStatus> {
  const lab = (await labCall(controlUrl, 'GET', '/lab')) as {
    hubs?: Record<string, HubViewish>
    dps?: { mode?: string }
  }
  const hub = (v: HubViewish | undefined): LabStatus['hubs']['a'] => {
    const dps = v?.dps ?? {}
    const dpsNote = dps.unaware
      ? 'DPS is not told: it keeps naming this hub'
      : dps.available === false
        ? `DPS routes its devices to the other hub${dps.rebalanceAt ? `; they move back at ${clock(dps.rebalanceAt)}` : ''}`
        : dps.detectAt
          ? `DPS notices at ${clock(dps.detectAt)}`
          : null
    return {
      host: String(v?.host ?? ''),
      mode: String(v?.mode ?? 'unknown'),
      dpsAssigns: dps.available !== false,
      dpsNote,
      outage: v?.outage
        ? {
            restoreAt: String(v.outage.restoreAt ?? ''),
            plan: (v.outage.plan ?? [])
              .slice(0, 10)
              .map((s) => ({ at: String(s.at ?? ''), text: String(s.text ?? '') })),
          }
        : null,
    }
  }
  return {
    hubs: { a: hub(lab.hubs?.['a']), b: hub(lab.hubs?.['b']) },
    dps: { mode: String(lab.dps?.mode ?? 'unknown') },
  }
}

/** What the lab received from the device: counts, duplicates, missing sequence numbers. */
export async function readLabStats(controlUrl: string, deviceId: string): Promise<LabStats | null> {
  try {
    const r = (await labCall(controlUrl, 'GET', `/devices/${enc(deviceId)}/telemetry?limit=0`)) as {
      stats?: LabStats
      conformance?: LabConformance
    }
    return r.stats ? { ...r.stats, conformance: r.conformance ?? null } : null
  } catch (err) {
    if (err instanceof AppFailure && /No device/.test(err.message)) return null
    throw err
  }
}

/** Gives the lab the device's template, so it checks the device's traffic against it. */
export async function addLabTemplate(
  controlUrl: string,
  documents: ModelDocument[],
): Promise<void> {
  await labCall(controlUrl, 'POST', '/models', { documents })
}
