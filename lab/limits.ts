import { valueDepth } from './json'

/**
 * What IoT Hub and DPS accept, in one place. Published figures (IoT Hub quotas, device twin
 * and DPS REST references) unless marked as the lab's own choice; see CONTROL_API.md.
 */
export const limits = {
  /** Device id (IoT Hub) and registration id (DPS): up to 128 characters. */
  idLength: 128,
  /** Device-to-cloud message: body plus properties, 256 KB. */
  d2cBytes: 256 * 1024,
  /** Cloud-to-device message, 64 KB. */
  c2dBytes: 64 * 1024,
  /** Cloud-to-device messages waiting for one device. */
  c2dQueueDepth: 50,
  /** Direct method request and response payloads, 128 KB each. */
  methodPayloadBytes: 128 * 1024,
  /** Desired and reported sections, 32 KB each, counted as IoT Hub counts (keys and values). */
  twinSectionBytes: 32 * 1024,
  /** Nesting of objects in a twin section. */
  twinDepth: 10,
  twinKeyBytes: 1024,
  twinStringBytes: 4 * 1024,
  /** Lab's choice (no published figure): a DPS request body, and how deep its payload may nest. */
  dpsRequestBytes: 64 * 1024,
  dpsPayloadDepth: 10,
  /** Lab's choice: any other JSON the lab parses (method answers, control API bodies). */
  jsonDepth: 32,
  /** Lab's choice: an MQTT packet larger than any the services accept is cut off unread. */
  mqttPacketBytes: 256 * 1024 + 64 * 1024,
  /** Lab's choice: control API request body. */
  controlBodyBytes: 1024 * 1024,
  /**
   * Lab's choice: a `POST /models` body. Its documents hold at most 8 MiB of text (modelLimits);
   * as JSON strings their quotes and line ends are escaped, so the body may be larger.
   */
  modelsBodyBytes: 20 * 1024 * 1024,
  /** Lab's choice: the templates one lab keeps, and their text together. */
  templateDocuments: 1000,
  templateChars: 32 * 1024 * 1024,
  /** Lab's choice: the latest conformance findings kept per device (counts go on past it). */
  findingsKept: 20,
  /** DTDL: a DTMI is at most 2048 characters; a longer MQTT model-id names no template. */
  modelIdChars: 2048,
} as const

// DPS: alphanumerics and - . _ : with no special character first or last (case-insensitive).
const registrationId = /^[A-Za-z0-9](?:[A-Za-z0-9._:-]*[A-Za-z0-9])?$/
// IoT Hub's device id characters, less MQTT's wildcards (+ #), which cannot name a topic.
const deviceId = /^[A-Za-z0-9\-:.%_*?!(),=@;$']+$/

/** Why DPS refuses this registration id, or null when it is valid. */
export function registrationIdProblem(id: string): string | null {
  if (id.length === 0 || id.length > limits.idLength)
    return `must be 1 to ${limits.idLength} characters`
  if (!registrationId.test(id))
    return 'may hold only letters, digits and - . _ : and must start and end with a letter or digit'
  return null
}

/** Why IoT Hub refuses this device id, or null when it is valid. */
export function deviceIdProblem(id: string): string | null {
  if (id.length === 0 || id.length > limits.idLength)
    return `must be 1 to ${limits.idLength} characters`
  if (!deviceId.test(id)) return "may hold only letters, digits and - : . % _ * ? ! ( ) , = @ ; $ '"
  return null
}

// Control characters (C0, C1), '.', '$' and space are not allowed in twin keys.
// eslint-disable-next-line no-control-regex
const badKeyChar = /[\u0000-\u001f\u007f-\u009f.$ ]/
// IoT Hub counts strings by characters other than control characters.
// eslint-disable-next-line no-control-regex
const controlChars = /[\u0000-\u001f\u007f-\u009f]/g
const stringSize = (s: string) => Buffer.byteLength(s.replace(controlChars, ''), 'utf8')

/** A twin section's size as IoT Hub computes it: keys and values, numbers 8 bytes, booleans 4. */
export function twinSize(value: unknown): number {
  if (typeof value === 'string') return stringSize(value)
  if (typeof value === 'number') return 8
  if (typeof value === 'boolean') return 4
  if (value === null || typeof value !== 'object') return 0
  let n = 0
  for (const [k, v] of Object.entries(value))
    n += (Array.isArray(value) ? 0 : stringSize(k)) + twinSize(v)
  return n
}

/** Why IoT Hub refuses this twin patch (keys, values, depth), or null. `$version` is ignored. */
export function twinPatchProblem(patch: unknown): string | null {
  if (!patch || typeof patch !== 'object' || Array.isArray(patch))
    return 'a twin patch must be a JSON object'
  if (valueDepth(patch, limits.twinDepth + 1) > limits.twinDepth)
    return `twin properties may nest at most ${limits.twinDepth} levels deep`
  const { $version: _ignored, ...props } = patch as Record<string, unknown>
  return valueProblem(props, null)
}

/** Keys and string values of a twin value, at any depth (array items are checked, not named). */
function valueProblem(value: unknown, key: string | null): string | null {
  if (typeof value === 'string')
    return Buffer.byteLength(value, 'utf8') > limits.twinStringBytes
      ? `string value${key === null ? '' : ` of "${key.slice(0, 40)}"`} over ${limits.twinStringBytes} bytes`
      : null
  // JSON reads 1e400 as Infinity, which it would write back as null: a delete, not a value.
  if (typeof value === 'number' && !Number.isFinite(value))
    return `number${key === null ? '' : ` "${key.slice(0, 40)}"`} out of range`
  if (!value || typeof value !== 'object') return null
  const isArray = Array.isArray(value)
  for (const [k, v] of Object.entries(value)) {
    if (!isArray && Buffer.byteLength(k, 'utf8') > limits.twinKeyBytes)
      return `property name over ${limits.twinKeyBytes} bytes`
    if (!isArray && badKeyChar.test(k))
      return `property name "${k.slice(0, 40)}" holds '.', '$', a space or a control character`
    const inner = valueProblem(v, isArray ? key : k)
    if (inner) return inner
  }
  return null
}

/**
 * Merges a patch into a twin section as IoT Hub does (null deletes, objects merge), on a copy:
 * the section is only replaced once the result is known to fit.
 */
export function mergeTwin(
  section: Record<string, unknown> & { $version: number },
  patch: Record<string, unknown>,
): { merged: Record<string, unknown> & { $version: number } } | { problem: string } {
  const merged = structuredClone(section)
  mergeInto(merged, patch)
  const { $version: _v, ...props } = merged
  if (twinSize(props) > limits.twinSectionBytes)
    return { problem: `the section would exceed ${limits.twinSectionBytes / 1024} KB` }
  return { merged }
}

function mergeInto(target: Record<string, unknown>, patch: Record<string, unknown>): void {
  for (const [k, v] of Object.entries(patch)) {
    if (k === '$version') continue
    if (v === null) delete target[k]
    else if (v && typeof v === 'object' && !Array.isArray(v)) {
      // Own properties only: `target['__proto__']` would otherwise be Object.prototype itself.
      const current = Object.hasOwn(target, k) ? target[k] : undefined
      const next = current && typeof current === 'object' && !Array.isArray(current) ? current : {}
      mergeInto(next as Record<string, unknown>, v as Record<string, unknown>)
      setOwn(target, k, next)
    } else setOwn(target, k, v)
  }
}

/** `__proto__` is a legal property name in a twin: store it as data, never as a prototype. */
function setOwn(target: Record<string, unknown>, key: string, value: unknown): void {
  Object.defineProperty(target, key, {
    value,
    enumerable: true,
    writable: true,
    configurable: true,
  })
}
