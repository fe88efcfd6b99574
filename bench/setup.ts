import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { DeviceSession, type DeviceSessionOptions } from '../electron/device/index'
import { sessionOptions } from '../tests/integration/fixtures/engine'
import { privateLabOptions, startLab } from '../lab/index'
import type { LabHandle } from '../lab/types'

export const median = (xs: number[]): number => {
  const s = [...xs].sort((a, b) => a - b)
  const m = Math.floor(s.length / 2)
  return s.length % 2 ? s[m]! : Math.round((s[m - 1]! + s[m]!) / 2)
}

export const stats = (samples: number[]) => ({ median: median(samples), min: Math.min(...samples), max: Math.max(...samples), samples })

export async function until<T>(what: string, probe: () => T | undefined | null | false | Promise<T | undefined | null | false>, timeoutMs = 30_000): Promise<T> {
  const end = Date.now() + timeoutMs
  for (;;) {
    const v = await probe()
    if (v) return v
    if (Date.now() > end) throw new Error(`bench: timed out waiting for ${what}`)
    await new Promise((r) => setTimeout(r, 5))
  }
}

export async function control<T = unknown>(lab: LabHandle, method: string, path: string, body: unknown = {}): Promise<T> {
  const res = await fetch(lab.controlUrl + path, {
    method,
    headers: { 'content-type': 'application/json' },
    body: method === 'GET' ? undefined : JSON.stringify(body),
  })
  if (!res.ok) throw new Error(`bench: ${method} ${path} answered ${res.status}`)
  return (await res.json()) as T
}

export interface Bench {
  lab: LabHandle
  dir: string
  session(deviceId: string, overrides?: Partial<DeviceSessionOptions>): DeviceSession
  stop(): Promise<void>
}

/** A private lab on ephemeral ports and a factory for sessions against it. */
export async function benchLab(dpsRetryAfterSec: number): Promise<Bench> {
  const dir = mkdtempSync(join(tmpdir(), 'bench-'))
  const lab = await startLab({ ...privateLabOptions(join(dir, 'lab')), dpsRetryAfterSec })
  const sessions: DeviceSession[] = []
  return {
    lab,
    dir,
    session(deviceId, overrides = {}) {
      const s = new DeviceSession(
        sessionOptions(lab, deviceId, join(dir, 'devices', deviceId), {
          periods: { telemetryMs: 100, reportedMs: 1000 },
          connectTimeoutMs: 2000,
          backoff: { initialMs: 100, maxMs: 1000 },
          ...overrides,
        }),
      )
      sessions.push(s)
      return s
    },
    async stop() {
      for (const s of sessions) await s.close().catch(() => {})
      await lab.stop()
      rmSync(dir, { recursive: true, force: true })
    },
  }
}

export const dpsRegistrations = async (lab: LabHandle, deviceId: string) =>
  (await control<{ dpsRegistrations: number }>(lab, 'GET', `/devices/${deviceId}`)).dpsRegistrations
