import { createHmac, timingSafeEqual } from 'node:crypto'

/** IoT Central / DPS group enrollment: the device key is an HMAC of the registration id. */
export function deriveDeviceKey(groupKey: string, registrationId: string): string {
  return createHmac('sha256', Buffer.from(groupKey, 'base64'))
    .update(registrationId, 'utf8')
    .digest('base64')
}

export function sign(key: string, sr: string, se: number): string {
  return createHmac('sha256', Buffer.from(key, 'base64'))
    .update(`${sr}\n${se}`, 'utf8')
    .digest('base64')
}

export function makeSasToken(key: string, sr: string, se: number, skn?: string): string {
  const sig = encodeURIComponent(sign(key, sr, se))
  return `SharedAccessSignature sr=${sr}&sig=${sig}&se=${se}` + (skn ? `&skn=${skn}` : '')
}

export interface SasToken {
  /** The resource exactly as it appears in the token (the signature covers this text). */
  sr: string
  sig: string
  se: number
  skn?: string
}

export function parseSasToken(password: string): SasToken | null {
  const m = /^SharedAccessSignature (.+)$/.exec(password.trim())
  if (!m) return null
  const fields = new Map<string, string>()
  for (const part of m[1]!.split('&')) {
    const i = part.indexOf('=')
    if (i <= 0) return null
    fields.set(part.slice(0, i), part.slice(i + 1))
  }
  const sr = fields.get('sr')
  const sig = fields.get('sig')
  const se = Number(fields.get('se'))
  if (!sr || !sig || !Number.isInteger(se)) return null
  let decodedSig: string
  try {
    decodedSig = decodeURIComponent(sig)
  } catch {
    return null
  }
  return { sr, sig: decodedSig, se, skn: fields.get('skn') }
}

export type SasCheck =
  { ok: true } | { ok: false; reason: 'malformed' | 'expired' | 'resource' | 'signature' }

/**
 * Checks a token against the keys that may have signed it and the resources it may name.
 * `resources` are compared after url-decoding, since hub tokens encode `sr` and DPS tokens do not.
 */
export function verifySasToken(
  password: string,
  keys: string[],
  resources: string[],
  nowSec = Date.now() / 1000,
): SasCheck {
  const t = parseSasToken(password)
  if (!t) return { ok: false, reason: 'malformed' }
  if (t.se <= nowSec) return { ok: false, reason: 'expired' }
  let resource: string
  try {
    resource = decodeURIComponent(t.sr)
  } catch {
    return { ok: false, reason: 'malformed' }
  }
  if (!resources.some((r) => r.toLowerCase() === resource.toLowerCase()))
    return { ok: false, reason: 'resource' }
  const given = Buffer.from(t.sig, 'base64')
  for (const key of keys) {
    const expected = Buffer.from(sign(key, t.sr, t.se), 'base64')
    if (expected.length === given.length && timingSafeEqual(expected, given)) return { ok: true }
  }
  return { ok: false, reason: 'signature' }
}
