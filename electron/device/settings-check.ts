import {
  base64KeySchema,
  deviceIdSchema,
  hostSchema,
  idScopeSchema,
  modelIdSchema,
} from '../../shared/settings'
import type { DeviceSessionOptions } from './api'

/**
 * Catches settings that no amount of retrying could fix (a malformed host, a key that is not
 * base64) before any network traffic, so the session fails at once with a reason.
 */
export function validateOptions(o: DeviceSessionOptions): string | null {
  const checks: [
    string,
    { safeParse(v: unknown): { success: boolean; error?: { issues: { message: string }[] } } },
    unknown,
  ][] = [
    ['id scope', idScopeSchema, o.idScope],
    ['device id', deviceIdSchema, o.deviceId],
    ['model id', modelIdSchema, o.modelId],
    ['provisioning host', hostSchema, o.provisioningHost],
  ]
  if ((o.groupKey === undefined) === (o.deviceKey === undefined))
    return 'give exactly one of a group key or a device key'
  checks.push([
    o.groupKey !== undefined ? 'group key' : 'device key',
    base64KeySchema,
    o.groupKey ?? o.deviceKey,
  ])
  for (const [what, schema, value] of checks) {
    const r = schema.safeParse(value)
    if (!r.success) return `${what}: ${r.error?.issues[0]?.message ?? 'invalid'}`
  }
  return null
}
