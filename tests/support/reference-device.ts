import { spawn, type ChildProcess } from 'node:child_process'
import { createInterface } from 'node:readline'
import { fileURLToPath } from 'node:url'

// The Node reference sample's behaviour on the unmodified SDK (reference-device-child.ts), in a
// process of its own: the SDK's retries outlive close(), so only ending the process ends them.

const entry = fileURLToPath(new URL('./reference-device-child.ts', import.meta.url))

export interface ReferenceSample {
  child: ChildProcess
  /** Resolves at its next `connected` line. */
  connected(timeoutMs?: number): Promise<string>
  /** Ctrl+C, as a person stops the sample: process.exit(), the socket drops. Resolves on exit. */
  interrupt(): Promise<void>
  /** Ends it whatever it is doing (SIGKILL if SIGINT is not enough). */
  stop(): Promise<void>
}

export function startReferenceSample(
  lab: { dpsHost: string; idScope: string; groupPrimaryKey: string; ca: string },
  deviceId: string,
  opts: { modelId?: string; telemetryMs?: number; reportedMs?: number } = {},
): ReferenceSample {
  const child = spawn(process.execPath, ['--import', 'tsx', entry], {
    stdio: ['ignore', 'pipe', 'inherit'],
    env: {
      ...process.env,
      REFERENCE_DEVICE: JSON.stringify({
        provisioningHost: lab.dpsHost,
        idScope: lab.idScope,
        groupKey: lab.groupPrimaryKey,
        deviceId,
        modelId: opts.modelId ?? 'dtmi:Sample:Failover;1',
        ca: lab.ca,
        telemetryMs: opts.telemetryMs ?? 500,
        reportedMs: opts.reportedMs ?? 3000,
      }),
    },
  })
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()))
  const waiting: ((hub: string) => void)[] = []
  createInterface({ input: child.stdout! }).on('line', (line) => {
    let m: { type?: string; hub?: string }
    try {
      m = JSON.parse(line) as typeof m
    } catch {
      return
    }
    if (m.type === 'connected') for (const w of waiting.splice(0)) w(m.hub ?? '')
  })
  const end = async (signal: NodeJS.Signals) => {
    if (child.exitCode !== null || child.signalCode !== null) return
    child.kill(signal)
    const t = setTimeout(() => child.kill('SIGKILL'), 3000)
    await exited
    clearTimeout(t)
  }
  return {
    child,
    connected: (timeoutMs = 20_000) =>
      new Promise((resolve, reject) => {
        const t = setTimeout(
          () => reject(new Error(`the reference sample did not connect in ${timeoutMs} ms`)),
          timeoutMs,
        )
        waiting.push((hub) => (clearTimeout(t), resolve(hub)))
        void exited.then(() => reject(new Error('the reference sample exited')))
      }),
    interrupt: () => end('SIGINT'),
    stop: () => end('SIGINT'),
  }
}
