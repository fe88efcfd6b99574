import { spawn, type ChildProcess } from 'node:child_process'
import { fileURLToPath } from 'node:url'
import type {
  FromLabChild,
  LabChildFacts,
  Measure,
  ToLabChild,
} from '../integration/fixtures/lab-child'
import type { LabOptions } from '../../lab/types'

const entry = fileURLToPath(new URL('../integration/fixtures/lab-child.ts', import.meta.url))

export interface LabChild {
  facts: LabChildFacts
  pid: number
  register(ids: string[]): Promise<Record<string, string>>
  measure(): Promise<Measure>
  stop(): Promise<void>
}

/** A private lab in a child process with --expose-gc; stop() ends it (and waits until it has). */
export async function startLabChild(options: LabOptions = {}): Promise<LabChild> {
  const child = spawn(process.execPath, ['--expose-gc', '--import', 'tsx', entry], {
    stdio: ['ignore', 'ignore', 'inherit', 'ipc'],
    env: { ...process.env, LAB_CHILD_OPTIONS: JSON.stringify(options) },
  })
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()))
  const next = <T extends FromLabChild['type']>(type: T) =>
    new Promise<Extract<FromLabChild, { type: T }>>((resolve, reject) => {
      const onMessage = (m: FromLabChild) => {
        if (m.type !== type) return
        child.off('message', onMessage)
        child.off('exit', onExit)
        resolve(m as Extract<FromLabChild, { type: T }>)
      }
      const onExit = (code: number | null) => {
        child.off('message', onMessage)
        reject(new Error(`the lab process ended (code ${code}) before it answered ${type}`))
      }
      child.on('message', onMessage)
      child.once('exit', onExit)
    })
  const send = (m: ToLabChild) => child.connected && child.send(m)
  try {
    const { facts } = await next('ready')
    return {
      facts,
      pid: child.pid!,
      async register(ids) {
        const answer = next('registered')
        send({ type: 'register', ids })
        return (await answer).hosts
      },
      async measure() {
        const answer = next('measured')
        send({ type: 'measure' })
        return (await answer).measure
      },
      stop: () => stopChild(child, exited, send),
    }
  } catch (e) {
    await stopChild(child, exited, send)
    throw e
  }
}

async function stopChild(
  child: ChildProcess,
  exited: Promise<void>,
  send: (m: ToLabChild) => unknown,
): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return
  send({ type: 'stop' })
  const killer = setTimeout(() => child.kill('SIGKILL'), 10_000)
  await exited
  clearTimeout(killer)
}
