import common from 'azure-iot-common'
import type { Client as SdkClient, Twin } from 'azure-iot-device'
import { Message, derivedKey, hubClient, register } from '../../bench/sdk'

// A device that behaves as the Node reference sample does (Azure-Samples / iot-for-all
// iot-central-high-availability-clients, Node/JavaScript/failover.js), on the unmodified Azure
// SDK, run as its own process: started by tests/support/reference-device.ts, stopped with SIGINT
// as a person stops the sample (its handler calls process.exit(): the socket drops, no
// DISCONNECT). What it does, as the sample does:
// - DPS with the derived group key and { iotcModelId } as payload; the hub client from a
//   connection string (no model id on the hub connection);
// - the sample's MultiHubRetryPolicy, whose "stop retrying" test never matches the SDK's errors:
//   the SDK's own retry is what runs; only its 'disconnect' (after the SDK gives up) leads back
//   to DPS;
// - telemetry on a timer while `connected`, never buffered, with no seq and no message id;
//   `battery` reported on a timer; both as the sample formats them (strings: toFixed(2));
// - the direct method `echo`; C2D `setAlarm` completed; a desired patch acknowledged for its
//   first key only.
// Only the lab's CA and the periods are ours. Lines on stdout: {"type":"connected","hub":…}.

const { ExponentialBackOffWithJitter } = common

interface Config {
  provisioningHost: string
  idScope: string
  groupKey: string
  deviceId: string
  modelId: string
  ca: string
  telemetryMs: number
  reportedMs: number
}

const cfg = JSON.parse(process.env.REFERENCE_DEVICE ?? '{}') as Config
const say = (o: Record<string, unknown>) => process.stdout.write(JSON.stringify(o) + '\n')

class MultiHubRetryPolicy extends ExponentialBackOffWithJitter {
  override shouldRetry(err: Error): boolean {
    if (err.message === 'Connection refused: Server unavailable') return false
    return super.shouldRetry(err)
  }
}

let client: SdkClient | null = null
let deviceTwin: Twin | null = null
let connected = false

async function connect(): Promise<void> {
  const key = derivedKey(cfg.groupKey, cfg.deviceId)
  const result = await register(
    { provisioningHost: cfg.provisioningHost, idScope: cfg.idScope, ca: cfg.ca },
    cfg.deviceId,
    key,
    cfg.modelId,
  )
  const c = hubClient(result.assignedHub, result.deviceId, key) as unknown as SdkClient
  client = c
  c.setRetryPolicy(new MultiHubRetryPolicy())
  c.on('connect', () => {
    connected = true
    say({ type: 'connected', hub: result.assignedHub })
  })
  c.on('disconnect', () => void disconnectHandler())
  c.on('error', () => {})
  c.on('message', (msg) => {
    const name = (msg.properties.propertyList as { key: string; value: string }[]).find(
      (p) => p.key === 'method-name',
    )
    if (name?.value === 'setAlarm') void c.complete(msg).catch(() => {})
  })
  await c.setOptions({ ca: cfg.ca })
  await c.open()
  deviceTwin = await c.getTwin()
  deviceTwin.on('properties.desired', (patch: Record<string, unknown>) => {
    if (Object.keys(patch).length <= 1) return
    let key = Object.keys(patch)[0]!
    if (key === '$version') key = Object.keys(patch)[1]!
    update({ [key]: { value: patch[key], ac: 200, ad: 'completed', av: patch.$version } })
  })
  c.onDeviceMethod('echo', (request, response) => {
    void response.send(200, request.payload).catch(() => {})
  })
}

async function disconnectHandler(): Promise<void> {
  if (!connected) return
  connected = false
  say({ type: 'disconnected' })
  await client?.close().catch(() => {})
  // In the sample a failure here is an unhandled rejection: the device is offline for good.
  await connect().catch((e: unknown) => say({ type: 'stuck', why: (e as Error).message }))
}

function update(properties: Record<string, unknown>): void {
  deviceTwin?.properties.reported.update(properties, () => {})
}

function sendTelemetry(): void {
  if (!connected || !client) return
  const telemetry = {
    temp: (20 + Math.random() * 100).toFixed(2),
    humidity: (Math.random() * 100).toFixed(2),
  }
  client.sendEvent(new Message(JSON.stringify(telemetry)), () => {})
}

process.on('SIGINT', () => process.exit())
process.on('unhandledRejection', (e) => say({ type: 'stuck', why: String(e) }))

try {
  await connect()
  setInterval(sendTelemetry, cfg.telemetryMs)
  setInterval(() => {
    if (connected) update({ battery: (Math.random() * 100).toFixed(2) })
  }, cfg.reportedMs)
} catch (e) {
  say({ type: 'stuck', why: (e as Error).message })
}
