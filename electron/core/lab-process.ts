import { fork } from 'node:child_process'
import { existsSync } from 'node:fs'
import path from 'node:path'
import type { FromWorker, LabFacts, ToWorker, WorkerOptions } from '../../lab/worker'

/** A lab running somewhere else: its facts, a way to stop it, and word when it stops by itself. */
export interface LabService extends LabFacts {
  stop(): Promise<void>
  /** Called once if the lab stops without being asked (crash, killed), with the reason in words. */
  onExit(listener: (reason: string) => void): void
}

/** The part of a child process the lab client needs: Electron's utilityProcess or Node's fork. */
export interface LabChild {
  send(message: ToWorker): void
  onMessage(listener: (message: FromWorker) => void): void
  onExit(listener: (code: number | null, signal: string | null) => void): void
  kill(): void
  /** The process id, for logs and diagnostics (undefined until it runs). */
  readonly pid: number | undefined
}

export type SpawnLabChild = () => LabChild

const startTimeoutMs = 30_000
const stopTimeoutMs = 5_000

/**
 * Starts the lab in its own process and resolves with its facts once it listens. A lab that fails
 * to start rejects with its reason (and its error code, so EADDRINUSE can be told apart).
 */
export function startLabProcess(
  spawn: SpawnLabChild,
  options: WorkerOptions,
  log: (line: string) => void,
): Promise<LabService> {
  const child = spawn()
  let exitListener: ((reason: string) => void) | null = null
  let stopping: Promise<void> | null = null
  let exited = false
  let lastFault: string | null = null
  let resolveExit!: () => void
  const exitedPromise = new Promise<void>((r) => (resolveExit = r))

  return new Promise<LabService>((resolve, reject) => {
    let ready = false
    const timer = setTimeout(() => {
      if (ready) return
      child.kill()
      reject(new Error(`the lab did not start within ${startTimeoutMs / 1000} s`))
    }, startTimeoutMs)

    child.onMessage((m) => {
      if (!m || typeof m !== 'object') return
      if (m.type === 'log') log(String(m.line).slice(0, 2000))
      else if (m.type === 'fault') {
        lastFault = String(m.message).split('\n')[0]!.slice(0, 500)
        log(`lab fault (the lab keeps running): ${String(m.message).slice(0, 2000)}`)
      } else if (m.type === 'failed' && !ready) {
        clearTimeout(timer)
        reject(Object.assign(new Error(m.message), m.code ? { code: m.code } : {}))
      } else if (m.type === 'ready' && !ready) {
        ready = true
        clearTimeout(timer)
        resolve({
          ...m.facts,
          stop: () =>
            (stopping ??= (async () => {
              if (exited) return
              child.send({ type: 'stop' })
              const hard = setTimeout(() => child.kill(), stopTimeoutMs)
              await exitedPromise
              clearTimeout(hard)
            })()),
          onExit: (listener) => (exitListener = listener),
        })
      }
    })

    child.onExit((code, signal) => {
      exited = true
      resolveExit()
      clearTimeout(timer)
      const how = signal ? `was killed (${signal})` : `exited with code ${code ?? '?'}`
      const reason = `the lab process ${how}${lastFault ? ` after a fault: ${lastFault}` : ''}`
      if (!ready) return reject(new Error(reason))
      if (!stopping) exitListener?.(reason)
    })
    child.send({ type: 'start', options })
  })
}

/**
 * Where the lab's worker script is: `out/lab/worker.js` beside the built shells, or the TypeScript
 * source (run through tsx) when the shell itself runs from source, as tests do.
 */
export function labWorkerEntry(bundleDir: string): { file: string; execArgv: string[] } {
  const built = path.resolve(bundleDir, '../lab/worker.js')
  if (existsSync(built)) return { file: built, execArgv: [] }
  const source = path.resolve(bundleDir, '../../lab/worker.ts')
  return { file: source, execArgv: ['--import', 'tsx'] }
}

/** The web shell's lab process: a Node child process speaking over the IPC channel. */
export function forkLabChild(entry: { file: string; execArgv: string[] }): SpawnLabChild {
  return () => {
    const child = fork(entry.file, [], {
      execArgv: entry.execArgv,
      stdio: ['ignore', 'ignore', 'inherit', 'ipc'],
      serialization: 'json',
    })
    return {
      send: (m) => {
        if (child.connected) child.send(m)
      },
      onMessage: (l) => child.on('message', (m) => l(m as FromWorker)),
      onExit: (l) => child.once('exit', (code, signal) => l(code, signal)),
      kill: () => void child.kill('SIGKILL'),
      pid: child.pid,
    }
  }
}
