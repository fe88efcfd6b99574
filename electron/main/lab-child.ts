import { utilityProcess } from 'electron'
import type { FromWorker } from '../../lab/worker'
import type { SpawnLabChild } from '../core/index'

/** The Electron shell's lab process: a utilityProcess (Node in a Chromium-managed child). */
export function utilityLabChild(entry: string): SpawnLabChild {
  return () => {
    const child = utilityProcess.fork(entry, [], {
      serviceName: 'IoT Central HA lab',
      stdio: ['ignore', 'ignore', 'inherit'],
    })
    return {
      send: (m) => child.postMessage(m),
      onMessage: (l) => child.on('message', (m: unknown) => l(m as FromWorker)),
      onExit: (l) => child.once('exit', (code) => l(code, null)),
      kill: () => void child.kill(),
      get pid() {
        return child.pid
      },
    }
  }
}
