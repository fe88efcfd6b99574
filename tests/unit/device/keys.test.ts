import { describe, expect, it } from 'vitest'
import { deriveDeviceKey } from '../../../electron/device/keys'

describe('deriveDeviceKey', () => {
  it('matches the documented group-enrollment test vector', () => {
    const groupKey =
      '8isrFI1sGsIlvvFSSFRiMfCNzv21fjbE/+ah/lSh3lF8e2YG1Te7w1KpZhJFFXJrqYKi9yegxkqIChbqOS9Egw=='
    expect(deriveDeviceKey(groupKey, 'sn-007-888-abc-mac-a1-b2-c3-d4-e5-f6')).toBe(
      'Jsm0lyGpjaVYVP2g3FnmnmG9dI/9qU24wNoykUmermc=',
    )
  })

  it('gives each registration id its own key', () => {
    const groupKey = Buffer.alloc(64, 7).toString('base64')
    expect(deriveDeviceKey(groupKey, 'a')).not.toBe(deriveDeviceKey(groupKey, 'b'))
  })
})
