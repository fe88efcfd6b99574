export { DeviceSession } from './session'
export type { DeviceSessionApi, DeviceSessionEvents, DeviceSessionOptions } from './api'
export { deriveDeviceKey } from './keys'
