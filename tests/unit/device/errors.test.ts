import { describe, expect, it } from 'vitest'
import { classifyHubConnect, classifyProvisioning } from '../../../electron/device/errors'

const named = (name: string, message = name) => Object.assign(new Error(message), { name })
const raw = (code: string | number, message = String(code)) =>
  Object.assign(new Error(message), { code })

describe('classifyHubConnect', () => {
  it('tells a refusal (CONNACK) from an unreachable hub', () => {
    expect(classifyHubConnect(raw(5), undefined)).toEqual({
      kind: 'refused',
      connack: 5,
      message: 'CONNACK 5, not authorized',
    })
    expect(classifyHubConnect(raw(3), undefined)).toMatchObject({ kind: 'refused', connack: 3 })
    expect(classifyHubConnect(raw('ECONNREFUSED'), undefined)).toMatchObject({
      kind: 'unreachable',
      message: expect.stringMatching(/ECONNREFUSED/),
    })
    expect(
      classifyHubConnect(raw('UNABLE_TO_VERIFY_LEAF_SIGNATURE', 'unable to verify'), undefined)
        .message,
    ).toMatch(/^TLS failed/)
    expect(classifyHubConnect(null, new Error('closed'))).toMatchObject({
      kind: 'unreachable',
      message: 'closed',
    })
  })
})

describe('classifyProvisioning', () => {
  it('makes settings errors fatal and everything else retryable', () => {
    expect(classifyProvisioning(named('UnauthorizedError'), null)).toMatchObject({
      code: 'bad-credentials',
      fatal: true,
    })
    expect(classifyProvisioning(named('DeviceNotFoundError'), null)).toMatchObject({
      code: 'unknown-scope',
      fatal: true,
    })
    expect(classifyProvisioning(new Error('x'), raw(5))).toMatchObject({
      code: 'bad-credentials',
      fatal: true,
    })
    expect(classifyProvisioning(new Error('x'), raw(3))).toMatchObject({
      code: 'unreachable',
      fatal: false,
    })
    expect(classifyProvisioning(new Error('x'), raw('ENOTFOUND'))).toMatchObject({
      code: 'unreachable',
      fatal: false,
    })
    expect(classifyProvisioning(named('DeviceRegistrationFailedError'), null)).toMatchObject({
      code: 'protocol',
      fatal: false,
    })
  })

  it('quotes DPS error text when there is some', () => {
    const e = Object.assign(named('UnauthorizedError'), { result: { message: 'token expired' } })
    expect(classifyProvisioning(e, null).message).toMatch(/token expired/)
  })
})
