import { startLab } from './index'
import type { LabHandle, LabOptions } from './types'

// The embedded lab in a process of its own (Electron's utilityProcess, or a Node child process in
// the web shell): a fault in the lab must never take the app, and the device in it, down.
// The parent sends `start` with the lab's options and later `stop`; this process answers with
// `ready` (the facts a device needs), `failed`, `log` lines, `fault` and `stopped`.

export type WorkerOptions = Omit<LabOptions, 'log'>

export type ToWorker = { type: 'start'; options: WorkerOptions } | { type: 'stop' }

/** What the parent gets of a running lab: plain data (the handle's state and stop() stay here). */
export type LabFacts = Omit<LabHandle, 'state' | 'stop'>

export type FromWorker =
  | { type: 'ready'; facts: LabFacts }
  | { type: 'failed'; message: string; code?: string }
  | { type: 'log'; line: string }
  | { type: 'fault'; message: string }
  | { type: 'stopped' }

interface ParentPort {
  on(event: 'message', listener: (e: { data: unknown }) => void): void
  postMessage(message: unknown): void
}

const parentPort = (process as unknown as { parentPort?: ParentPort }).parentPort

function post(message: FromWorker): void {
  if (parentPort) parentPort.postMessage(message)
  else process.send?.(message)
}

function onMessage(listener: (message: unknown) => void): void {
  if (parentPort) parentPort.on('message', (e) => listener(e.data))
  else process.on('message', listener)
}

let lab: LabHandle | null = null
let starting = false

// The lab guards its own handlers; this is the net under them. A fault is reported to the app and
// the lab keeps serving the devices it can.
process.on('uncaughtException', (e) => post({ type: 'fault', message: e.stack ?? String(e) }))
process.on('unhandledRejection', (e) =>
  post({ type: 'fault', message: e instanceof Error ? (e.stack ?? e.message) : String(e) }),
)

const stopDeadlineMs = 5000

async function stop(): Promise<void> {
  const running = lab
  lab = null
  // A stop that cannot finish (a server waiting on connections that never close) still ends the
  // process: an orphaned lab must not keep its ports and a core after its parent has gone.
  setTimeout(() => process.exit(0), stopDeadlineMs).unref()
  await running
    ?.stop()
    .catch((e: unknown) => post({ type: 'log', line: `stop failed: ${String(e)}` }))
  post({ type: 'stopped' })
  // Give the message a moment to leave before the process ends.
  setTimeout(() => process.exit(0), 50)
}

onMessage((raw) => {
  const message = raw as ToWorker | null
  if (message?.type === 'stop') return void stop()
  if (message?.type !== 'start' || lab || starting) return
  starting = true
  startLab({ ...message.options, log: (line) => post({ type: 'log', line }) }).then(
    (handle) => {
      lab = handle
      const { state: _state, stop: _stop, ...facts } = handle
      post({ type: 'ready', facts })
    },
    (e: unknown) => {
      const err = e as NodeJS.ErrnoException
      post({ type: 'failed', message: err?.message ?? String(e), code: err?.code })
      setTimeout(() => process.exit(1), 50)
    },
  )
})

// The parent went away without saying stop (it crashed, or was killed): do not linger.
process.on('disconnect', () => void stop())
// Ctrl+C in a terminal reaches the whole process group, this process included: stop as when
// asked (close the servers, remove the discovery entry), not die with them open.
process.on('SIGINT', () => void stop())
process.on('SIGTERM', () => void stop())
