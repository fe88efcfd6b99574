import { Client } from 'azure-iot-device'
import { MqttWs } from 'azure-iot-device-mqtt'
import { NoRetry } from 'azure-iot-common'
import { MqttBase } from 'azure-iot-mqtt-base'
import { ProvisioningDeviceClient, type RegistrationResult } from 'azure-iot-provisioning-device'
import { MqttWs as ProvisioningMqttWs } from 'azure-iot-provisioning-device-mqtt'
import { SymmetricKeySecurityClient } from 'azure-iot-security-symmetric-key'
import { deriveDeviceKey } from '../../lab/sas'

// The SDK's WebSocket transports always dial port 443 of the host they are given.

export async function provisionWs(opts: {
  idScope: string
  groupKey: string
  registrationId: string
  ca: string
}): Promise<string> {
  const base = new MqttBase()
  base.setOptions({ ca: opts.ca })
  const transport = new ProvisioningMqttWs(base as never)
  transport.on('error', () => {})
  const security = new SymmetricKeySecurityClient(
    opts.registrationId,
    deriveDeviceKey(opts.groupKey, opts.registrationId),
  )
  const client = ProvisioningDeviceClient.create(
    '127.0.0.1',
    opts.idScope,
    transport,
    security as never,
  )
  return ((await client.register()) as RegistrationResult).assignedHub
}

export async function connectHubWs(opts: {
  hub: string
  deviceId: string
  groupKey: string
  ca: string
}): Promise<Client> {
  const cs = `HostName=${opts.hub};DeviceId=${opts.deviceId};SharedAccessKey=${deriveDeviceKey(opts.groupKey, opts.deviceId)}`
  const client = Client.fromConnectionString(cs, MqttWs)
  client.setRetryPolicy(new NoRetry())
  client.on('error', () => {})
  await client.setOptions({ ca: opts.ca })
  await client.open()
  return client
}
