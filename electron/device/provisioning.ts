import { createRequire } from 'node:module'
import provisioningDevice from 'azure-iot-provisioning-device'
import provisioningMqtt from 'azure-iot-provisioning-device-mqtt'
import symmetricKey from 'azure-iot-security-symmetric-key'
import type { Transport } from '../../shared/domain'
import { describeSocketError } from '../../shared/timeline'
import { Aborted, ProvisioningFailure, classifyProvisioning, clip, socketError } from './errors'
import { WireTap } from './wire'

// The Azure packages are CommonJS; Node's ESM loader only finds some of their named exports.
const { ProvisioningDeviceClient } = provisioningDevice
const { Mqtt: ProvisioningMqtt, MqttWs: ProvisioningMqttWs } = provisioningMqtt
const { SymmetricKeySecurityClient } = symmetricKey

// The very MqttBase the provisioning transport would build for itself (it pins its own copy);
// building it here is the only way to hand it a CA and the wire tap.
type ProvisioningMqttBase = NonNullable<ConstructorParameters<typeof ProvisioningMqtt>[0]>
const localRequire = createRequire(import.meta.url)
const { MqttBase } = createRequire(localRequire.resolve('azure-iot-provisioning-device-mqtt'))(
  'azure-iot-mqtt-base',
) as {
  MqttBase: new (mqttProvider: unknown) => ProvisioningMqttBase
}
type SecurityClient = Parameters<typeof ProvisioningDeviceClient.create>[3]
type RegistrationResult = { assignedHub: string; deviceId: string; substatus?: string }

export interface ProvisioningRequest {
  provisioningHost: string
  idScope: string
  registrationId: string
  deviceKey: string
  modelId: string
  transport: Transport
  ca?: string
  timeoutMs: number
}

export interface Assignment {
  assignedHub: string
  deviceId: string
  substatus?: string
}

/**
 * One DPS registration with the unmodified SDK, bounded in time. The SDK retries 429 and 5xx
 * forever, so a 429/5xx reply seen on the wire ends the attempt here and the engine's own
 * backoff (honouring retry-after) takes over, visibly.
 */
export function provision(req: ProvisioningRequest, signal: AbortSignal): Promise<Assignment> {
  let onFault = (_e: Error) => {}
  let onClose = () => {}
  const tap = new WireTap({
    connectTimeoutMs: req.timeoutMs,
    onFault: (e) => onFault(e),
    onClose: () => onClose(),
  })
  const base = new MqttBase(tap.provider)
  // The provisioning client has no CA option of its own; its MqttBase does.
  if (req.ca) base.setOptions({ ca: req.ca })
  const transport =
    req.transport === 'mqttws' ? new ProvisioningMqttWs(base) : new ProvisioningMqtt(base)
  // A dropped DPS connection is emitted as 'error'; with no listener it would end the process.
  transport.on('error', () => {})
  const client = ProvisioningDeviceClient.create(
    req.provisioningHost,
    req.idScope,
    transport,
    // Same class; the packages only disagree on which copy of azure-iot-common declares its types.
    new SymmetricKeySecurityClient(req.registrationId, req.deviceKey) as unknown as SecurityClient,
  )
  client.setProvisioningPayload({ iotcModelId: req.modelId })

  return new Promise<Assignment>((resolve, reject) => {
    let settled = false
    let refused = false
    const finish = (outcome: () => void, abandon: boolean) => {
      if (settled) return
      settled = true
      clearTimeout(timer)
      signal.removeEventListener('abort', onAbort)
      base.removeListener('message', onReply)
      if (abandon) {
        tap.retire()
        try {
          client.cancel(() => transport.disconnect(() => tap.forceEnd()))
        } catch {
          // A transport whose state machine already threw may throw again: the socket goes regardless.
        }
        // cancel() can wait on a connect that will never finish; the socket goes regardless.
        setTimeout(() => tap.forceEnd(), 1000).unref()
      }
      outcome()
    }
    const timer = setTimeout(
      () =>
        finish(
          () =>
            reject(
              new ProvisioningFailure('unreachable', { kind: 'timeout', ms: req.timeoutMs }, false),
            ),
          true,
        ),
      req.timeoutMs,
    )
    const onAbort = () => finish(() => reject(new Aborted()), true)
    // The SDK's state is unknown after it threw: this attempt is over, the engine retries.
    onFault = (e) =>
      finish(
        () =>
          reject(
            new ProvisioningFailure(
              'unreachable',
              { kind: 'dropped', detail: `the provisioning SDK failed: ${clip(e.message)}` },
              false,
            ),
          ),
        true,
      )
    // A registration needs its connection to the end: once DPS has closed it (after CONNACK,
    // say), the SDK only notices after its own 6 s close timer, or never; the attempt is over now.
    onClose = () =>
      !refused &&
      finish(
        () =>
          reject(
            new ProvisioningFailure(
              'unreachable',
              {
                kind: 'dropped',
                detail: tap.lastError
                  ? describeSocketError(socketError(tap.lastError))
                  : 'DPS closed the connection',
              },
              false,
            ),
          ),
        true,
      )
    signal.addEventListener('abort', onAbort)
    const onReply = (topic: string) => {
      const m = /^\$dps\/registrations\/res\/(\d+)\/\?(.*)$/.exec(topic)
      const status = Number(m?.[1])
      // A refusal (401, 404...) ends the registration; the SDK reports it, after DPS has closed.
      if (status >= 300 && status < 429) refused = true
      if (!m || status < 429) return
      const retryAfterSec = Number(new URLSearchParams(m[2]).get('retry-after'))
      // Capped: real DPS asks for seconds, and a timer past 2^31 ms fires at once.
      const retryAfterMs =
        Number.isFinite(retryAfterSec) && retryAfterSec > 0
          ? Math.min(retryAfterSec, maxRetryAfterSec) * 1000
          : undefined
      const failure =
        status === 429
          ? new ProvisioningFailure(
              'throttled',
              { kind: 'throttled', retryAfterMs },
              false,
              retryAfterMs,
            )
          : new ProvisioningFailure('unreachable', { kind: 'status', status }, false, retryAfterMs)
      finish(() => reject(failure), true)
    }
    base.on('message', onReply)

    if (signal.aborted) return onAbort()
    const onRegistered = (err?: Error, result?: RegistrationResult) => {
      if (err) return finish(() => reject(classifyProvisioning(err, tap.lastError)), false)
      if (!result?.assignedHub || !result.deviceId) {
        return finish(
          () => reject(new ProvisioningFailure('protocol', { kind: 'no-hub' }, false)),
          false,
        )
      }
      // Handed to the MQTT client as a URL: anything but a host name (and port) would throw there.
      if (!isHubHost(result.assignedHub)) {
        const hub = String(result.assignedHub as unknown).slice(0, 60)
        return finish(
          () => reject(new ProvisioningFailure('protocol', { kind: 'bad-hub', hub }, false)),
          false,
        )
      }
      finish(
        () =>
          resolve({
            assignedHub: result.assignedHub,
            deviceId: result.deviceId,
            substatus: result.substatus,
          }),
        false,
      )
    }
    try {
      client.register(onRegistered)
    } catch (e) {
      onFault(e instanceof Error ? e : new Error(String(e)))
    }
  })
}

/** The longest wait a DPS `retry-after` may ask for. */
export const maxRetryAfterSec = 600

/** An IoT hub's host name, optionally with a port: what the MQTT client can be pointed at. */
export function isHubHost(host: unknown): host is string {
  if (typeof host !== 'string' || host.length > 253 + 6) return false
  const m =
    /^([A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?)*)(?::(\d{1,5}))?$/.exec(
      host,
    )
  if (!m || m[1]!.length > 253) return false
  return m[2] === undefined || (Number(m[2]) >= 1 && Number(m[2]) <= 65535)
}
