import { describe, expect, it } from 'vitest'
import { classifyHubConnect, classifyProvisioning } from '../../../electron/device/errors'
import { describeHubProblem } from '../../../shared/timeline'

const named = (name: string, message = name) => Object.assign(new Error(message), { name })
const raw = (code: string | number, message = String(code)) =>
  Object.assign(new Error(message), { code })

describe('classifyHubConnect', () => {
  it('tells a refusal (CONNACK) from an unreachable hub', () => {
    expect(classifyHubConnect(raw(5), undefined)).toEqual({ kind: 'refused', connack: 5 })
    expect(classifyHubConnect(raw(3), undefined)).toEqual({ kind: 'refused', connack: 3 })
    expect(classifyHubConnect(raw('ECONNREFUSED'), undefined)).toEqual({
      kind: 'unreachable',
      error: { code: 'ECONNREFUSED', message: 'ECONNREFUSED' },
    })
    expect(classifyHubConnect(null, new Error('closed'))).toEqual({
      kind: 'unreachable',
      error: { message: 'closed' },
    })
  })

  it('words problems in one place, for the timeline and the banner alike', () => {
    expect(describeHubProblem({ kind: 'refused', connack: 5 })).toBe('CONNACK 5, not authorized')
    expect(
      describeHubProblem(
        classifyHubConnect(raw('UNABLE_TO_VERIFY_LEAF_SIGNATURE', 'unable to verify'), undefined),
      ),
    ).toMatch(/^TLS failed/)
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
    expect(classifyProvisioning(new Error('x'), raw('ECONNREFUSED')).problem).toEqual({
      kind: 'unreachable',
      error: { code: 'ECONNREFUSED', message: 'ECONNREFUSED' },
    })
  })

  it('bounds what it quotes: a server can send a megabyte of error text', () => {
    const e = Object.assign(named('UnauthorizedError'), {
      result: { message: 'x'.repeat(1 << 20) },
    })
    expect(classifyProvisioning(e, null).message.length).toBeLessThan(400)
    expect(classifyProvisioning(new Error('y'.repeat(1 << 20)), null).message.length).toBeLessThan(
      400,
    )
  })

  it('quotes DPS error text when there is some', () => {
    const e = Object.assign(named('UnauthorizedError'), { result: { message: 'token expired' } })
    expect(classifyProvisioning(e, null).message).toMatch(/token expired/)
  })
})
