import { createHmac } from 'node:crypto'

/**
 * The device key IoT Central's group enrollment expects: the group key signs the registration id.
 * The group key itself never leaves this process.
 */
export function deriveDeviceKey(groupKey: string, registrationId: string): string {
  return createHmac('sha256', Buffer.from(groupKey, 'base64'))
    .update(registrationId, 'utf8')
    .digest('base64')
}
