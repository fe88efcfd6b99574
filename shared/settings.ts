import { z } from 'zod'

// IoT Hub device ids: up to 128 of letters, digits and - . % _ * ? ! ( ) , : = @ $ '
export const deviceIdSchema = z
  .string()
  .regex(/^[A-Za-z0-9\-.%_*?!(),:=@$']{1,128}$/, "device id: 1–128 letters, digits or - . % _ * ? ! ( ) , : = @ $ '")
export const modelIdSchema = z.string().regex(/^dtmi:[A-Za-z0-9_:]+;[0-9]+$/, 'model id must be a DTMI such as dtmi:Sample:Failover;1')
export const idScopeSchema = z.string().regex(/^[A-Za-z0-9]{6,32}$/, 'id scope: the letters and digits from IoT Central (e.g. 0ne00ABCDEF)')
export const base64KeySchema = z
  .string()
  .regex(/^[A-Za-z0-9+/]{20,}={0,2}$/, 'key must be base64, as copied from IoT Central')
  // Base64 comes in groups of four characters: anything else was cut off when copied.
  .refine((s) => s.length % 4 === 0, 'key looks cut off: base64 keys have a multiple of 4 characters')
export const hostSchema = z
  .string()
  .regex(/^[A-Za-z0-9.-]+(:[0-9]{1,5})?$/, 'host name, optionally with :port')

export const transportSchema = z.enum(['mqtt', 'mqttws'])

/** What the settings form sends. An empty key keeps the saved one (the renderer never holds it). */
export const settingsInputSchema = z.object({
  idScope: idScopeSchema,
  keyKind: z.enum(['group', 'device']),
  key: z.union([z.literal(''), base64KeySchema]),
  deviceId: deviceIdSchema,
  modelId: modelIdSchema,
  provisioningHost: hostSchema,
  transport: transportSchema,
})
export type SettingsInput = z.infer<typeof settingsInputSchema>

export interface PublicSettings {
  mode: 'lab' | 'central'
  idScope: string
  keyKind: 'group' | 'device'
  /** e.g. "••••••••Xk2=": enough to recognise a key, never enough to use it. */
  keyMasked: string
  deviceId: string
  modelId: string
  provisioningHost: string
  transport: 'mqtt' | 'mqttws'
}

export function maskKey(key: string): string {
  return key ? '••••••••' + key.slice(-4) : ''
}
