import { createHmac } from 'node:crypto'
import { createRequire } from 'node:module'
import device from 'azure-iot-device'
import deviceMqtt from 'azure-iot-device-mqtt'
import provisioningDevice from 'azure-iot-provisioning-device'
import provisioningMqtt from 'azure-iot-provisioning-device-mqtt'
import symmetricKey from 'azure-iot-security-symmetric-key'

// The unmodified Azure SDK as a sample uses it, with the one thing the lab needs added: its CA.
// (Default imports: the packages are CommonJS and Node's ESM loader misses some named exports.)

export const { Client, Message } = device
export const { Mqtt } = deviceMqtt
const { ProvisioningDeviceClient } = provisioningDevice
const { Mqtt: ProvisioningTransport } = provisioningMqtt
const { SymmetricKeySecurityClient } = symmetricKey

// The provisioning transport pins its own azure-iot-mqtt-base; only its MqttBase takes a CA.
const localRequire = createRequire(import.meta.url)
const { MqttBase } = createRequire(localRequire.resolve('azure-iot-provisioning-device-mqtt'))(
  'azure-iot-mqtt-base',
) as { MqttBase: new () => { setOptions(o: { ca: string }): void } }

/** The device key derived from the group key, as IoT Central's samples compute it. */
export const derivedKey = (groupKey: string, deviceId: string) =>
  createHmac('SHA256', Buffer.from(groupKey, 'base64')).update(deviceId, 'utf8').digest('base64')

export interface DpsTarget {
  provisioningHost: string
  idScope: string
  ca: string
}

/** One DPS registration with the group-derived key and IoT Central's { iotcModelId } payload. */
export async function register(
  dps: DpsTarget,
  deviceId: string,
  key: string,
  modelId: string,
): Promise<{ assignedHub: string; deviceId: string }> {
  const base = new MqttBase()
  base.setOptions({ ca: dps.ca })
  const transport = new ProvisioningTransport(base as never)
  transport.on('error', () => {})
  const client = ProvisioningDeviceClient.create(
    dps.provisioningHost,
    dps.idScope,
    transport,
    new SymmetricKeySecurityClient(deviceId, key) as never,
  )
  client.setProvisioningPayload({ iotcModelId: modelId } as never)
  return (await client.register()) as { assignedHub: string; deviceId: string }
}

/** An SDK client for the hub DPS named (not yet open). */
export const hubClient = (hub: string, deviceId: string, key: string) =>
  Client.fromConnectionString(`HostName=${hub};DeviceId=${deviceId};SharedAccessKey=${key}`, Mqtt)

/** A reading as our engine sends it: JSON, its seq as a property and `{id}-{seq}` as message id. */
export function reading(deviceId: string, seq: number) {
  const message = new Message(JSON.stringify({ temp: 21.5, humidity: 40.25 }))
  message.messageId = `${deviceId}-${seq}`
  message.contentType = 'application/json'
  message.contentEncoding = 'utf-8'
  message.properties.add('seq', String(seq))
  return message
}
