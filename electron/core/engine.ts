import { DeviceSession } from '../device/index'
import { startLab } from '../../lab/index'
import type { CoreDeps } from './app-core'

/** The real engine and the real lab, for both shells. Tests inject fakes into AppCore instead. */
export const realDeps: CoreDeps = {
  createSession: (options) => new DeviceSession(options),
  startLab: (options) => startLab(options),
}
