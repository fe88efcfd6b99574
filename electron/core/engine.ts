import { DeviceSession } from '../device/index'
import { startLab } from '../../lab/index'
import type { LabOptions } from '../../lab/types'
import type { CoreDeps } from './app-core'
import type { LabService } from './lab-process'

/** The lab in this very process: for tests and the bench, which need no isolation from it. */
export async function inProcessLab(
  options: Omit<LabOptions, 'log'> & Pick<LabOptions, 'log'>,
): Promise<LabService> {
  const { state: _state, ...handle } = await startLab(options)
  return { ...handle, onExit: () => undefined }
}

/** The real engine, with the lab started by `startLabService` (a child process in the shells). */
export function realDeps(startLabService: CoreDeps['startLab'] = inProcessLab): CoreDeps {
  return {
    createSession: (options) => new DeviceSession(options),
    startLab: startLabService,
  }
}
