import { fork } from 'node:child_process'
import { rmSync } from 'node:fs'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { labWorkerEntry, startLabProcess, type SpawnLabChild } from '../core/lab-process'
import type { FromWorker, LabFacts } from '../../lab/worker'
import { privateLabOptions } from '../../lab/index'
import { oneLine, RunError } from './errors'

// The lab a fleet runs against when it is given none: private (ephemeral ports, its own folder,
// no discovery entry), in a process of its own so the fleet's CPU figures are the fleet's, and in
// a process group of its own so a Ctrl+C reaches the fleet alone: the fleet still needs the lab
// to flush into and to count what arrived before it stops it.

export interface LabDelays {
  dpsDetectSec?: number
  rebalanceSec?: number
  dpsRetryAfterSec?: number
}

export interface EmbeddedLab {
  facts: LabFacts
  stop(): Promise<void>
}

function forkDetached(entry: { file: string; execArgv: string[] }): SpawnLabChild {
  return () => {
    const child = fork(entry.file, [], {
      execArgv: entry.execArgv,
      stdio: ['ignore', 'ignore', 'ignore', 'ipc'],
      serialization: 'json',
      // Windows would open a console window for a detached child; there, Ctrl+C is per console.
      detached: process.platform !== 'win32',
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

/** Starts the lab in `dir` (removed again on stop); the lab's log lines go to `log`. */
export async function startEmbeddedLab(
  dir: string,
  delays: LabDelays,
  log: (line: string) => void,
): Promise<EmbeddedLab> {
  const here = fileURLToPath(new URL('.', import.meta.url))
  const spawn = forkDetached(labWorkerEntry(here))
  try {
    const lab = await startLabProcess(
      spawn,
      { ...privateLabOptions(join(dir, 'lab')), ...delays },
      log,
    )
    return {
      facts: lab,
      stop: async () => {
        await lab.stop()
        rmSync(join(dir, 'lab'), { recursive: true, force: true })
      },
    }
  } catch (e) {
    rmSync(join(dir, 'lab'), { recursive: true, force: true })
    throw new RunError(`the embedded lab did not start: ${oneLine(e)}`)
  }
}
