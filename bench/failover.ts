import { mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { DeviceSession } from '../electron/device/index'
import { startLab } from '../lab/index'
import type { LabHandle } from '../lab/types'
import type { TimelineEntry } from '../shared/domain'
import { parseModel } from '../shared/model'

export interface FailoverBench {
  runs: number
  telemetryPeriodMs: number
  /** Hub lost → first telemetry acknowledged by the other hub (the session's own measurement), per run. */
  failoverMs: { median: number; samples: number[] }
  /** Hub lost → connected to the other hub (the part that does not wait for the next telemetry tick). */
  failoverConnectMs: { median: number; samples: number[] }
  /** Hub killed and brought straight back → connected again through the cached hub, per run. */
  cachedReconnectMs: { median: number; samples: number[]; dpsCalls: number }
}

const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b)
  const m = Math.floor(s.length / 2)
  return s.length % 2 ? s[m]! : Math.round((s[m - 1]! + s[m]!) / 2)
}

async function until<T>(
  what: string,
  probe: () => T | undefined | null | false,
  timeoutMs = 20_000,
): Promise<T> {
  const end = Date.now() + timeoutMs
  for (;;) {
    const v = probe()
    if (v) return v
    if (Date.now() > end) throw new Error(`bench: timed out waiting for ${what}`)
    await new Promise((r) => setTimeout(r, 10))
  }
}

async function control(lab: LabHandle, method: string, path: string): Promise<unknown> {
  const res = await fetch(lab.controlUrl + path, {
    method,
    headers: { 'content-type': 'application/json' },
    body: method === 'POST' ? '{}' : undefined,
  })
  if (!res.ok) throw new Error(`bench: ${method} ${path} answered ${res.status}`)
  return res.json()
}

/**
 * Failover time (manual failover as `lizard failover` asks for it → first telemetry acknowledged
 * on the other hub) and cached-hub reconnect time (hub killed and restored → connected, without
 * DPS), each the median of `runs`, on a private lab on ephemeral ports.
 */
export async function benchFailover(
  options: { runs?: number; telemetryPeriodMs?: number } = {},
): Promise<FailoverBench> {
  const runs = options.runs ?? 5
  const telemetryPeriodMs = options.telemetryPeriodMs ?? 100
  const dataDir = mkdtempSync(join(tmpdir(), 'bench-failover-'))
  const lab = await startLab({
    dataDir: join(dataDir, 'lab'),
    dpsPort: 0,
    hubAPort: 0,
    hubBPort: 0,
    controlPort: 0,
    webSockets: false,
    writeDiscovery: false,
    dpsRetryAfterSec: 0,
  })
  const model = parseModel(
    JSON.parse(readFileSync(new URL('../failover.json', import.meta.url), 'utf8')),
  )
  const deviceId = 'bench-failover'
  const session = new DeviceSession({
    idScope: lab.idScope,
    groupKey: lab.groupPrimaryKey,
    deviceId,
    modelId: model.id,
    provisioningHost: lab.dpsHost,
    transport: 'mqtt',
    ca: lab.ca,
    dataDir: join(dataDir, 'device'),
    model,
    periods: { telemetryMs: telemetryPeriodMs, reportedMs: 1000 },
    keepAliveSec: 2,
    connectTimeoutMs: 2000,
    backoff: { initialMs: 100, maxMs: 1000 },
  })
  const marked: TimelineEntry[] = []
  session.on('timeline', (e) => e.durationMs !== undefined && marked.push(e))
  const connected = () => session.snapshot().state.kind === 'connected'
  try {
    await session.connect()
    await until('first connection', connected)

    const failoverMs: number[] = []
    const connectMs: number[] = []
    for (let i = 0; i < runs; i++) {
      const before = marked.length
      const from = (session.timeline().at(-1)?.id ?? 0) + 1
      // The call `lizard failover` / `lizard failback` makes.
      await control(
        lab,
        'POST',
        `/system/iothub/devices/${deviceId}/manual-${i % 2 === 0 ? 'failover' : 'failback'}`,
      )
      const done = await until('hub move completed', () => marked.length > before && marked.at(-1))
      failoverMs.push(done.durationMs!)
      const entries = session.timeline().filter((e) => e.id >= from)
      connectMs.push(
        entries.find((e) => e.state === 'connected')!.at -
          entries.find((e) => e.state === 'lost')!.at,
      )
    }

    const registrations = async () =>
      ((await control(lab, 'GET', `/devices/${deviceId}`)) as { dpsRegistrations: number })
        .dpsRegistrations
    const dpsBefore = await registrations()
    const cachedMs: number[] = []
    for (let i = 0; i < runs; i++) {
      const hub = session.snapshot().hub!.host === lab.hubs.a.host ? 'a' : 'b'
      const from = (session.timeline().at(-1)?.id ?? 0) + 1
      await control(lab, 'POST', `/hubs/${hub}/kill`)
      await control(lab, 'POST', `/hubs/${hub}/restore`)
      await until(
        'reconnected',
        () =>
          connected() && session.timeline().some((e) => e.id >= from && e.state === 'connected'),
      )
      const entries = session.timeline().filter((e) => e.id >= from)
      cachedMs.push(
        entries.find((e) => e.state === 'connected')!.at -
          entries.find((e) => e.state === 'lost')!.at,
      )
    }

    return {
      runs,
      telemetryPeriodMs,
      failoverMs: { median: median(failoverMs), samples: failoverMs },
      failoverConnectMs: { median: median(connectMs), samples: connectMs },
      cachedReconnectMs: {
        median: median(cachedMs),
        samples: cachedMs,
        dpsCalls: (await registrations()) - dpsBefore,
      },
    }
  } finally {
    await session.close()
    await lab.stop()
    rmSync(dataDir, { recursive: true, force: true })
  }
}
