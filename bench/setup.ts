import { type ChildProcess, type ChildProcessByStdio, spawn } from 'node:child_process'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import type { Readable } from 'node:stream'
import { defaultBackoff } from '../electron/device/backoff'
import { DeviceSession, type DeviceSessionOptions } from '../electron/device/index'
import { privateLabOptions, startLab } from '../lab/index'
import type { HubName, LabHandle } from '../lab/types'
import type { TimelineEntry } from '../shared/domain'
import { type TelemetryView, sessionOptions } from '../tests/integration/fixtures/engine'
import type { BenchOptions } from './options'

export const median = (xs: number[]): number | null => {
  if (xs.length === 0) return null
  const s = [...xs].sort((a, b) => a - b)
  const m = Math.floor(s.length / 2)
  return s.length % 2 ? s[m]! : Math.round((s[m - 1]! + s[m]!) / 2)
}

export interface Stats {
  median: number | null
  min: number | null
  max: number | null
  samples: number[]
}

export const stats = (samples: number[]): Stats => ({
  median: median(samples),
  min: samples.length ? Math.min(...samples) : null,
  max: samples.length ? Math.max(...samples) : null,
  samples,
})

/** a ÷ b to two decimals, or null when either is missing. */
export const ratio = (a: number | null | undefined, b: number | null | undefined) =>
  a == null || b == null || b === 0 ? null : Math.round((a / b) * 100) / 100

/** Polls `probe` (every 5 ms) until it gives something truthy. */
export async function until<T>(
  what: string,
  probe: () => T | undefined | null | false | Promise<T | undefined | null | false>,
  timeoutMs = 30_000,
): Promise<T> {
  const end = Date.now() + timeoutMs
  for (;;) {
    const v = await probe()
    if (v) return v
    if (Date.now() > end) throw new Error(`bench: timed out waiting for ${what}`)
    await new Promise((r) => setTimeout(r, 5))
  }
}

export async function control<T = unknown>(
  lab: LabHandle,
  method: string,
  path: string,
  body: unknown = {},
): Promise<T> {
  const res = await fetch(lab.controlUrl + path, {
    method,
    headers: method === 'GET' ? {} : { 'content-type': 'application/json' },
    body: method === 'GET' ? undefined : JSON.stringify(body),
  })
  if (!res.ok) throw new Error(`bench: ${method} ${path} answered ${res.status}`)
  return (await res.json()) as T
}

export interface LabTelemetry {
  messages: (TelemetryView['messages'][number] & { arrivedAt: string })[]
  stats: TelemetryView['stats']
}

/** What the lab received from a device (`limit`: the last N messages; 0: counters only). */
export const labTelemetry = (lab: LabHandle, deviceId: string, limit?: number) =>
  control<LabTelemetry>(
    lab,
    'GET',
    `/devices/${deviceId}/telemetry${limit === undefined ? '' : `?limit=${limit}`}`,
  )

export const dpsRegistrations = async (lab: LabHandle, deviceId: string) =>
  (await control<{ dpsRegistrations: number }>(lab, 'GET', `/devices/${deviceId}`)).dpsRegistrations

export const hubOf = (lab: LabHandle, host: string | undefined | null): HubName | null =>
  host === lab.hubs.a.host ? 'a' : host === lab.hubs.b.host ? 'b' : null

/** A device id the lab homes on `hub` (homes are a hash of the id). */
export function idHomedOn(lab: LabHandle, hub: HubName, prefix: string): string {
  for (let i = 1; ; i++) {
    const id = `${prefix}-${i}`
    if (lab.state.homeHubFor(id) === hub) return id
  }
}

/** Timeline entries of a session from a mark on (see mark()). */
export const since = (session: DeviceSession, from: number): TimelineEntry[] =>
  session.timeline().filter((e) => e.id >= from)
export const mark = (session: DeviceSession) => (session.timeline().at(-1)?.id ?? 0) + 1

/** The engine's timings for users: its defaults, keep-alive as asked. */
export const production = (o: BenchOptions): Partial<DeviceSessionOptions> => ({
  keepAliveSec: o.keepalive,
  connectTimeoutMs: 10_000,
  provisioningTimeoutMs: 30_000,
  twinTimeoutMs: 10_000,
  backoff: defaultBackoff,
  healthyLinkMs: 20_000,
})

/** Short timings that pack more chaos into a soak: a silent hub is noticed in 2–4 s. */
export const quick: Partial<DeviceSessionOptions> = {
  keepAliveSec: 2,
  connectTimeoutMs: 2000,
  provisioningTimeoutMs: 4000,
  twinTimeoutMs: 3000,
  backoff: { initialMs: 100, maxMs: 1000 },
}

export interface Bench {
  lab: LabHandle
  dir: string
  o: BenchOptions
  /** Our engine with production timings, telemetry every --telemetry-ms. */
  session(deviceId: string, overrides?: Partial<DeviceSessionOptions>): DeviceSession
  dataDirOf(deviceId: string): string
  progress(line: string): void
  /**
   * Runs a script of bench/ in a Node process of its own, `job` as JSON in the environment
   * variable `envName`, stdout piped; stop() kills it if it is still running.
   */
  run(script: string, envName: string, job: unknown): ChildProcessByStdio<null, Readable, null>
  stop(): Promise<void>
}

/** A private lab on ephemeral ports with the asked DPS delays, and sessions against it. */
export async function benchLab(o: BenchOptions): Promise<Bench> {
  const dir = mkdtempSync(join(tmpdir(), 'bench-'))
  const lab = await startLab({
    ...privateLabOptions(join(dir, 'lab')),
    dpsRetryAfterSec: o.dpsRetryAfter,
    dpsDetectSec: o.dpsDetect,
    rebalanceSec: o.rebalance,
  })
  const sessions: DeviceSession[] = []
  const children = new Set<ChildProcess>()
  const dataDirOf = (deviceId: string) => join(dir, 'devices', deviceId)
  return {
    lab,
    dir,
    o,
    dataDirOf,
    session(deviceId, overrides = {}) {
      const s = new DeviceSession(
        sessionOptions(lab, deviceId, dataDirOf(deviceId), {
          ...production(o),
          periods: { telemetryMs: o.telemetryMs, reportedMs: 15_000 },
          ...overrides,
        }),
      )
      sessions.push(s)
      return s
    },
    progress: (line) => process.stderr.write(`bench: ${line}\n`),
    run(script, envName, job) {
      const child = spawn(
        process.execPath,
        ['--import', 'tsx', join(import.meta.dirname, script)],
        {
          env: { ...process.env, [envName]: JSON.stringify(job) },
          stdio: ['ignore', 'pipe', 'inherit'],
        },
      )
      children.add(child)
      child.on('exit', () => children.delete(child))
      return child
    },
    async stop() {
      for (const child of children) child.kill('SIGKILL')
      for (const s of sessions) await s.close().catch(() => {})
      await lab.stop()
      rmSync(dir, { recursive: true, force: true })
    },
  }
}
