import { Client, Message, SharedAccessKeyAuthenticationProvider, type Twin } from 'azure-iot-device'
import { Mqtt } from 'azure-iot-device-mqtt'
import { MqttBase } from 'azure-iot-mqtt-base'
import { ProvisioningDeviceClient, type RegistrationResult } from 'azure-iot-provisioning-device'
import { Mqtt as ProvisioningMqtt } from 'azure-iot-provisioning-device-mqtt'
import { SymmetricKeySecurityClient } from 'azure-iot-security-symmetric-key'
import { NoRetry } from 'azure-iot-common'
import { deriveDeviceKey } from '../../lab/sas'

// The unmodified Azure device SDK, used directly, as a reference device sample would.

export async function provision(opts: {
  host: string
  idScope: string
  groupKey: string
  registrationId: string
  ca: string
  payload?: unknown
}): Promise<RegistrationResult> {
  const key = deriveDeviceKey(opts.groupKey, opts.registrationId)
  const base = new MqttBase()
  base.setOptions({ ca: opts.ca })
  // The SDK nests its own copy of azure-iot-mqtt-base here; the classes are the same at run time.
  const transport = new ProvisioningMqtt(base as never)
  transport.on('error', () => {})
  const security = new SymmetricKeySecurityClient(opts.registrationId, key)
  const client = ProvisioningDeviceClient.create(
    opts.host,
    opts.idScope,
    transport,
    security as never,
  )
  if (opts.payload !== undefined) client.setProvisioningPayload(opts.payload as never)
  return (await client.register()) as RegistrationResult
}

/** Provisions `registrationId` with a lab's DPS, group key and CA (the primary key unless given). */
export function provisionIn(
  lab: { dpsHost: string; idScope: string; groupPrimaryKey: string; ca: string },
  registrationId: string,
  opts: { groupKey?: string; payload?: unknown } = {},
): Promise<RegistrationResult> {
  return provision({
    host: lab.dpsHost,
    idScope: lab.idScope,
    groupKey: opts.groupKey ?? lab.groupPrimaryKey,
    registrationId,
    ca: lab.ca,
    payload: opts.payload,
  })
}

export async function connectHub(opts: {
  hub: string
  deviceId: string
  groupKey: string
  ca: string
  modelId?: string
  /** SAS tokens valid this long, renewed `renewMarginSec` before they expire (SDK: 3600 and 900). */
  tokenSec?: number
  renewMarginSec?: number
}): Promise<Client> {
  const key = deriveDeviceKey(opts.groupKey, opts.deviceId)
  const cs = `HostName=${opts.hub};DeviceId=${opts.deviceId};SharedAccessKey=${key}`
  const client = opts.tokenSec
    ? Client.fromAuthenticationProvider(
        SharedAccessKeyAuthenticationProvider.fromConnectionString(
          cs,
          opts.tokenSec,
          opts.renewMarginSec,
        ),
        Mqtt,
      )
    : Client.fromConnectionString(cs, Mqtt)
  client.setRetryPolicy(new NoRetry())
  client.on('error', () => {})
  await client.setOptions({ ca: opts.ca, ...(opts.modelId ? { modelId: opts.modelId } : {}) })
  await client.open()
  return client
}

export function getTwin(client: Client): Promise<Twin> {
  return client.getTwin()
}

export function jsonMessage(
  body: unknown,
  props: Record<string, string> = {},
  mid?: string,
): Message {
  const m = new Message(JSON.stringify(body))
  m.contentType = 'application/json'
  m.contentEncoding = 'utf-8'
  if (mid) m.messageId = mid
  for (const [k, v] of Object.entries(props)) m.properties.add(k, v)
  return m
}
