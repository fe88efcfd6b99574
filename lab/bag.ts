// The MQTT "property bag": the query-string tail of IoT Hub telemetry and C2D topics.

export interface PropertyBag {
  systemProperties: Record<string, string>
  properties: Record<string, string>
}

const systemKeys = new Set([
  '$.mid',
  '$.cid',
  '$.uid',
  '$.to',
  '$.ct',
  '$.ce',
  '$.ifid',
  '$.exp',
  '$.sub',
  '$.on',
  '$.cdid',
  '$.cmid',
])

export function parseBag(bag: string): PropertyBag {
  const out: PropertyBag = { systemProperties: {}, properties: {} }
  if (!bag) return out
  for (const part of bag.split('&')) {
    if (!part) continue
    const i = part.indexOf('=')
    const rawKey = i < 0 ? part : part.slice(0, i)
    const rawValue = i < 0 ? '' : part.slice(i + 1)
    const key = safeDecode(rawKey)
    const value = safeDecode(rawValue)
    if (systemKeys.has(key)) out.systemProperties[key] = value
    else out.properties[key] = value
  }
  return out
}

export function encodeBag(
  properties: Record<string, string>,
  systemProperties: Record<string, string> = {},
): string {
  const parts: string[] = []
  for (const [k, v] of Object.entries(systemProperties))
    parts.push(`${encodeURIComponent(k)}=${encodeURIComponent(v)}`)
  for (const [k, v] of Object.entries(properties))
    parts.push(`${encodeURIComponent(k)}=${encodeURIComponent(v)}`)
  return parts.join('&')
}

function safeDecode(s: string): string {
  try {
    return decodeURIComponent(s)
  } catch {
    return s
  }
}

/** Parses `?$rid=1&$version=2` style query tails of twin, method and DPS topics. */
export function parseQuery(topicTail: string): Map<string, string> {
  const q = new Map<string, string>()
  const i = topicTail.indexOf('?')
  if (i < 0) return q
  for (const part of topicTail.slice(i + 1).split('&')) {
    const j = part.indexOf('=')
    if (j > 0) q.set(safeDecode(part.slice(0, j)), safeDecode(part.slice(j + 1)))
  }
  return q
}
