import { describe, expect, it } from 'vitest'
import type { DeviceSessionOptions } from '../../../electron/device/api'
import { validateOptions } from '../../../electron/device/settings-check'
import { sampleModel } from './model'

const good: DeviceSessionOptions = {
  idScope: '0ne00ABCDEF',
  groupKey: Buffer.alloc(64, 1).toString('base64'),
  deviceId: 'dev-1',
  modelId: 'dtmi:Sample:Failover;1',
  provisioningHost: 'global.azure-devices-provisioning.net',
  transport: 'mqtt',
  dataDir: '/tmp/x',
  model: sampleModel,
}

describe('validateOptions', () => {
  it('accepts good settings, including a host:port', () => {
    expect(validateOptions(good)).toBeNull()
    expect(validateOptions({ ...good, provisioningHost: '127.0.0.1:8883' })).toBeNull()
  })

  it('names the first problem that retrying could never fix', () => {
    expect(validateOptions({ ...good, provisioningHost: 'https://dps/' })).toMatch(
      /^provisioning host/,
    )
    expect(validateOptions({ ...good, groupKey: 'not base64!' })).toMatch(/^group key/)
    expect(validateOptions({ ...good, deviceKey: good.groupKey })).toMatch(/exactly one/)
    expect(validateOptions({ ...good, idScope: '' })).toMatch(/^id scope/)
  })
})
