import { describe, expect, it } from 'vitest'
import { answerMethod, settleC2d } from '../../../electron/device/behaviour/commands'
import { sampleModel } from './model'

const json = (v: unknown) => Buffer.from(JSON.stringify(v))

describe('answerMethod', () => {
  it('echoes a bare string payload (as IoT Central sends it) and a { message } object', () => {
    expect(answerMethod('echo', json('hi'), sampleModel)).toEqual({
      payload: 'hi',
      status: 200,
      body: 'hi',
    })
    expect(answerMethod('echo', json({ message: 'hello' }), sampleModel)).toMatchObject({
      status: 200,
      body: 'hello',
    })
  })

  it('answers 400 with a reason for a payload of the wrong shape or not JSON', () => {
    const wrongType = answerMethod('echo', json(42), sampleModel)
    expect(wrongType.status).toBe(400)
    expect(JSON.stringify(wrongType.body)).toMatch(/message: expected a string/)
    expect(answerMethod('echo', json({}), sampleModel).status).toBe(400)
    expect(answerMethod('echo', Buffer.from('{not json'), sampleModel)).toMatchObject({
      status: 400,
      payload: '{not json',
    })
    expect(answerMethod('echo', Buffer.alloc(0), sampleModel).status).toBe(400)
  })

  it('answers 404 with a JSON error for an unknown method, and for a durable command called as a method', () => {
    expect(answerMethod('reboot', json(null), sampleModel)).toEqual({
      payload: null,
      status: 404,
      body: {
        error: { code: 'method-not-found', message: 'this device has no direct method "reboot"' },
      },
    })
    expect(answerMethod('setAlarm', json('07:30'), sampleModel).status).toBe(404)
  })
})

describe('settleC2d', () => {
  it('completes setAlarm with a valid time, wrapped or bare, JSON or plain text', () => {
    const p = { 'method-name': 'setAlarm' }
    expect(settleC2d(p, json({ time: '07:30' }), sampleModel)).toMatchObject({
      name: 'setAlarm',
      outcome: 'completed',
      payload: { time: '07:30' },
    })
    expect(settleC2d(p, json('07:30:15'), sampleModel).outcome).toBe('completed')
    expect(settleC2d(p, Buffer.from('07:30'), sampleModel).outcome).toBe('completed')
  })

  it('rejects a bad argument, an unknown command, a missing method-name, and a non-durable command', () => {
    expect(
      settleC2d({ 'method-name': 'setAlarm' }, json({ time: 'noon' }), sampleModel),
    ).toMatchObject({ outcome: 'rejected' })
    expect(settleC2d({ 'method-name': 'selfDestruct' }, json({}), sampleModel)).toMatchObject({
      outcome: 'rejected',
      name: 'selfDestruct',
    })
    expect(settleC2d({}, Buffer.from('\u0000\u00ff garbage'), sampleModel)).toMatchObject({
      outcome: 'rejected',
      name: '(no method-name)',
    })
    expect(settleC2d({ 'method-name': 'echo' }, json('hi'), sampleModel).outcome).toBe('rejected')
  })
})
