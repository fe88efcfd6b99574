import { describe, expect, it } from 'vitest'
import { encodeBag, parseBag } from '../../../lab/bag'
import { deriveDeviceKey, makeSasToken, verifySasToken } from '../../../lab/sas'

describe('keys and tokens', () => {
  it('derives the documented device key from a group key', () => {
    expect(
      deriveDeviceKey(
        '8isrFI1sGsIlvvFSSFRiMfCNzv21fjbE/+ah/lSh3lF8e2YG1Te7w1KpZhJFFXJrqYKi9yegxkqIChbqOS9Egw==',
        'sn-007-888-abc-mac-a1-b2-c3-d4-e5-f6',
      ),
    ).toBe('Jsm0lyGpjaVYVP2g3FnmnmG9dI/9qU24wNoykUmermc=')
  })

  it('verifies signature, expiry and resource', () => {
    const key = Buffer.alloc(32, 1).toString('base64')
    const other = Buffer.alloc(32, 2).toString('base64')
    const sr = encodeURIComponent('127.0.0.1:8884/devices/d1')
    const se = Math.floor(Date.now() / 1000) + 60
    const token = makeSasToken(key, sr, se)
    expect(verifySasToken(token, [other, key], ['127.0.0.1:8884/devices/d1'])).toEqual({ ok: true })
    expect(verifySasToken(token, [other], ['127.0.0.1:8884/devices/d1'])).toEqual({
      ok: false,
      reason: 'signature',
    })
    expect(verifySasToken(token, [key], ['127.0.0.1:8885/devices/d1'])).toEqual({
      ok: false,
      reason: 'resource',
    })
    expect(
      verifySasToken(makeSasToken(key, sr, se - 120), [key], ['127.0.0.1:8884/devices/d1']),
    ).toEqual({ ok: false, reason: 'expired' })
    expect(verifySasToken('Basic abc', [key], [])).toEqual({ ok: false, reason: 'malformed' })
    expect(verifySasToken('SharedAccessSignature sr=x&sig=%E0%A4%A&se=1', [key], ['x'])).toEqual({
      ok: false,
      reason: 'malformed',
    })
  })
})

describe('property bags', () => {
  it('round-trips system and user properties, encoded as the SDK encodes them', () => {
    const bag = encodeBag(
      { seq: '12', 'a key': 'x&y=z' },
      { '$.mid': 'd-12', '$.ct': 'application/json' },
    )
    expect(bag).toBe('%24.mid=d-12&%24.ct=application%2Fjson&seq=12&a%20key=x%26y%3Dz')
    expect(parseBag(bag)).toEqual({
      systemProperties: { '$.mid': 'd-12', '$.ct': 'application/json' },
      properties: { seq: '12', 'a key': 'x&y=z' },
    })
  })

  it('survives malformed escapes and empty parts', () => {
    expect(parseBag('a=%E0%A4%A&&b')).toEqual({
      systemProperties: {},
      properties: { a: '%E0%A4%A', b: '' },
    })
  })
})
