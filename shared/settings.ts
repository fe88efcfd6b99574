import { z } from 'zod'

// What a user may type into Settings, bounded where it enters: every field has a length limit
// before any pattern runs, so a megabyte pasted into a field is refused with a message under it.

/** Where IoT Central shows the id scope and the keys; the Settings dialog and the README say this. */
export const centralKeysLocation =
  'In your IoT Central application: Permissions → Device connection groups → SAS-IoT-Devices (older applications: Administration → Device connection).'

const bounded = (max: number, what: string) =>
  z.string().max(max, `${what}: at most ${max} characters`)

// IoT Hub device ids: up to 128 of letters, digits and - . % _ * ? ! ( ) , : = @ $ '
export const deviceIdSchema = bounded(128, 'device id').regex(
  /^[A-Za-z0-9\-.%_*?!(),:=@$']{1,128}$/,
  "device id: 1–128 letters, digits or - . % _ * ? ! ( ) , : = @ $ '",
)
export const modelIdSchema = bounded(256, 'model id').regex(
  /^dtmi:[A-Za-z0-9_:]+;[0-9]+$/,
  'model id must be a DTMI such as dtmi:Sample:Failover;1',
)
export const idScopeSchema = bounded(32, 'id scope').regex(
  /^[A-Za-z0-9]{6,32}$/,
  'id scope: the letters and digits from IoT Central (e.g. 0ne00ABCDEF)',
)
export const base64KeySchema = bounded(256, 'key')
  .regex(/^[A-Za-z0-9+/]{20,}={0,2}$/, 'key must be base64, as copied from IoT Central')
  // Base64 comes in groups of four characters: anything else was cut off when copied.
  .refine(
    (s) => s.length % 4 === 0,
    'key looks cut off: base64 keys have a multiple of 4 characters',
  )
// A DNS name is at most 253 characters; a port is at most five digits.
export const hostSchema = bounded(259, 'host').regex(
  /^(?=[A-Za-z0-9.-]{1,253}(:|$))[A-Za-z0-9.-]+(:[0-9]{1,5})?$/,
  'host name (at most 253 characters), optionally with :port',
)

export const transportSchema = z.enum(['mqtt', 'mqttws'])

/** A PEM CA bundle is a few kilobytes; 64 KiB holds any sensible chain. */
export const maxCaChars = 64 * 1024
const pemBlock = /-----BEGIN CERTIFICATE-----[A-Za-z0-9+/=\s]+-----END CERTIFICATE-----/
export const caSchema = bounded(maxCaChars, 'CA certificate').refine(
  (s) => s === '' || pemBlock.test(s),
  'CA certificate: paste PEM text (-----BEGIN CERTIFICATE----- …) or leave empty for public Azure',
)

export const profileNameSchema = z
  .string()
  .trim()
  .min(1, 'name: give this device profile a name')
  .max(64, 'name: at most 64 characters')

/** Profile ids are made by the app; anything else is refused before it reaches the store. */
export const profileIdSchema = z.string().regex(/^[a-z0-9-]{1,40}$/, 'not a profile id')

/** What the settings form sends. An empty key keeps the saved one (the renderer never holds it). */
export const settingsInputSchema = z.object({
  /** Absent: a new profile. */
  profileId: profileIdSchema.optional(),
  name: profileNameSchema.optional(),
  idScope: idScopeSchema,
  keyKind: z.enum(['group', 'device']),
  key: z.union([z.literal(''), base64KeySchema]),
  /** Keep the group key (encrypted) so the device id can be changed later without it. */
  keepGroupKey: z.boolean().optional(),
  deviceId: deviceIdSchema,
  modelId: modelIdSchema,
  provisioningHost: hostSchema,
  transport: transportSchema,
  /** Extra trusted CA (PEM) for a lab or private DPS on another machine; '' = none. */
  ca: caSchema.optional(),
})
export type SettingsInput = z.infer<typeof settingsInputSchema>

export interface PublicProfile {
  id: string
  name: string
  idScope: string
  keyKind: 'group' | 'device'
  /** The derived device key, masked: "••••••••Xk2=". Enough to recognise, never to use. */
  keyMasked: string
  /** Whether the group key is kept (encrypted) besides the device key. */
  groupKeyKept: boolean
  /** The saved key cannot be read back (another machine or keychain): enter it again. */
  keyUnreadable: boolean
  deviceId: string
  modelId: string
  provisioningHost: string
  transport: 'mqtt' | 'mqttws'
  /** The CA's subject when one is set, e.g. "CN=My Lab CA". */
  caSubject: string | null
}

export interface PublicSettings {
  mode: 'lab' | 'central'
  /** The profile in use; null for the embedded lab. */
  activeProfileId: string | null
  idScope: string
  /** What the user entered (the lab: its group key). */
  keyKind: 'group' | 'device'
  /** The device key the device uses (derived from a group key), masked. */
  keyMasked: string
  deviceId: string
  modelId: string
  provisioningHost: string
  transport: 'mqtt' | 'mqttws'
  profiles: PublicProfile[]
  /** How saved keys are protected here, and what the user should know when they are not encrypted. */
  secretStorage: { encrypted: boolean; how: string; notice: string | null }
}

export function maskKey(key: string): string {
  return key ? '••••••••' + key.slice(-4) : ''
}

/** The reference samples' .env names, mapped onto the settings form. */
export const envNames = {
  SCOPEID: 'idScope',
  IDSCOPE: 'idScope',
  GROUPSYMMETRICKEY: 'groupKey',
  DEVICEKEY: 'deviceKey',
  DEVICESYMMETRICKEY: 'deviceKey',
  DEVICEID: 'deviceId',
  MODELID: 'modelId',
  PROVISIONINGHOST: 'provisioningHost',
} as const

/** A .env file is a few lines; anything larger is not one. */
export const maxEnvChars = 16 * 1024

/**
 * Reads a reference sample's .env text into form fields. Lines are `NAME=value`, optionally
 * quoted, with `#` comments and an optional `export `. Unknown names are listed, never guessed.
 */
export function parseEnvSettings(text: string): {
  fields: Partial<
    Pick<SettingsInput, 'idScope' | 'keyKind' | 'key' | 'deviceId' | 'modelId' | 'provisioningHost'>
  >
  unknown: string[]
  error: string | null
} {
  if (text.length > maxEnvChars)
    return {
      fields: {},
      unknown: [],
      error: `that file is over ${maxEnvChars / 1024} KiB: not a .env file`,
    }
  const fields: ReturnType<typeof parseEnvSettings>['fields'] = {}
  const unknown: string[] = []
  for (const raw of text.split(/\r?\n/)) {
    const line = raw.trim()
    if (!line || line.startsWith('#')) continue
    const m = /^(?:export\s+)?([A-Za-z_][A-Za-z0-9_]*)\s*=\s*(.*)$/.exec(line)
    if (!m) continue
    // SCOPE_ID (the JavaScript sample), scopeId (the TypeScript one): the same name.
    const name = m[1]!.toUpperCase().replace(/_/g, '')
    let value = m[2]!.trim()
    const quoted = /^(['"])(.*?)\1(\s+(#|\/\/).*)?$/.exec(value)
    if (quoted) value = quoted[2]!
    else value = value.replace(/\s+(#|\/\/).*$/, '')
    const target = envNames[name as keyof typeof envNames]
    if (!target) {
      if (unknown.length < 20) unknown.push(m[1]!.slice(0, 64))
      continue
    }
    if (target === 'groupKey' || target === 'deviceKey') {
      // A group key wins over a device key: with it the device id can still be changed.
      if (target === 'deviceKey' && fields.keyKind === 'group') continue
      fields.key = value
      fields.keyKind = target === 'groupKey' ? 'group' : 'device'
    } else fields[target] = value
  }
  const error =
    Object.keys(fields).length === 0
      ? 'no SCOPE_ID, GROUP_SYMMETRIC_KEY or DEVICE_ID line found'
      : null
  return { fields, unknown, error }
}
