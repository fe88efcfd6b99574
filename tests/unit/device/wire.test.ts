import { describe, expect, it } from 'vitest'
import { parseMethodTopic, sanitizeInbound } from '../../../electron/device/wire'

const buf = (s: string) => Buffer.from(s)
const body = (r: ReturnType<typeof sanitizeInbound>) =>
  'payload' in r ? JSON.parse(r.payload.toString()) : r

describe('sanitizeInbound: what would crash the SDK never reaches it', () => {
  it('passes well-formed traffic through untouched', () => {
    const ok = sanitizeInbound(
      '$iothub/twin/PATCH/properties/desired/?$version=3',
      buf('{"fanSpeed":1,"$version":3}'),
    )
    expect(ok).toEqual({
      topic: '$iothub/twin/PATCH/properties/desired/?$version=3',
      payload: buf('{"fanSpeed":1,"$version":3}'),
    })
    expect(
      sanitizeInbound('$iothub/twin/res/204/?$rid=1&$version=4', Buffer.alloc(0)),
    ).toMatchObject({ topic: '$iothub/twin/res/204/?$rid=1&$version=4' })
  })

  it('turns an unreadable twin or DPS reply into an error reply, so the request fails instead of hanging or crashing', () => {
    expect(body(sanitizeInbound('$iothub/twin/res/200/?$rid=1', buf('<html>')))).toMatchObject({
      errorCode: 'protocol',
    })
    expect(body(sanitizeInbound('$dps/registrations/res/200/?$rid=1', buf('nope')))).toMatchObject({
      status: 'failed',
    })
    expect(body(sanitizeInbound('$dps/registrations/res/202/?$rid=1', buf('null')))).toMatchObject({
      status: 'failed',
    })
    expect(
      body(sanitizeInbound('$dps/registrations/res/401/?$rid=1', buf('{"errorCode":401002}'))),
    ).toEqual({ errorCode: 401002 })
  })

  it('drops unsolicited packets it cannot read', () => {
    expect(
      sanitizeInbound('$iothub/twin/PATCH/properties/desired/?$version=3', buf('[1,2')),
    ).toHaveProperty('drop')
    expect(
      sanitizeInbound('$iothub/twin/PATCH/properties/desired/?$version=3', buf('"x"')),
    ).toHaveProperty('drop')
    expect(sanitizeInbound('$iothub/methods/POST//?$rid=1', buf('{}'))).toHaveProperty('drop')
    expect(sanitizeInbound('$iothub/methods/POST/echo/', buf('{}'))).toHaveProperty('drop')
  })

  it('strips a C2D property bag that does not decode', () => {
    expect(
      sanitizeInbound('devices/d1/messages/devicebound/method-name=%E0%A4%A&x=1', buf('{}')),
    ).toMatchObject({ topic: 'devices/d1/messages/devicebound/' })
    const fine = 'devices/d1/messages/devicebound/%24.mid=abc&method-name=setAlarm'
    expect(sanitizeInbound(fine, buf('{}'))).toMatchObject({ topic: fine })
  })
})

describe('parseMethodTopic', () => {
  it('reads the method name and request id', () => {
    expect(parseMethodTopic('$iothub/methods/POST/echo/?$rid=42')).toEqual({
      name: 'echo',
      rid: '42',
    })
    expect(parseMethodTopic('$iothub/methods/POST/echo?$rid=7')).toEqual({ name: 'echo', rid: '7' })
    expect(parseMethodTopic('$iothub/methods/POST/echo/?x=1')).toBeNull()
  })
})
