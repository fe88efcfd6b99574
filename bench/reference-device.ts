import common from 'azure-iot-common'
import { derivedKey, hubClient, reading, register } from './sdk'

// The reference pattern: a port, in our own code, of what the Node.js sample of
// Azure-Samples/iotc-high-availability-clients (Node/JavaScript/failover.js) does with the SDK:
// - DPS registration with the derived group key and { iotcModelId } as payload, then
//   Client.fromConnectionString(HostName=<assigned hub>...) with the SDK's MQTT transport;
// - the sample's MultiHubRetryPolicy: ExponentialBackOffWithJitter whose "stop retrying" check
//   compares err.message with 'Connection refused: Server unavailable', which the SDK's
//   translated errors never carry, so it is the SDK's default retry policy in effect;
// - the 'disconnect' event is the only way back to DPS: close the client, provision again;
// - telemetry on a timer, sent only while `connected`, never buffered: what is produced while
//   disconnected, or fails to send, is gone;
// - twin (desired properties), the direct method `echo` and C2D enabled, as in the sample.
// What we add, only to measure: each reading carries `seq` and a message id (so the lab counts
// what was lost), the lab's CA, and events for the bench. A rejected reconnect, which in the
// sample is an unhandled rejection (the process dies, or the device stays offline), ends here.

const { ExponentialBackOffWithJitter } = common

type SdkClient = ReturnType<typeof hubClient>

export interface ReferenceOptions {
  provisioningHost: string
  idScope: string
  groupKey: string
  deviceId: string
  modelId: string
  ca: string
  telemetryMs: number
}

export interface ReferenceEvents {
  /** Connected to a hub (after DPS). */
  connected(hub: string, at: number): void
  /** A reading was acknowledged by `hub`. */
  acked(seq: number, hub: string, at: number): void
  /** The SDK gave up and emitted 'disconnect': the sample now provisions again. */
  disconnected(at: number): void
  /** connect() failed: the sample has no way back from here. */
  stuck(reason: string, at: number): void
}

class MultiHubRetryPolicy extends ExponentialBackOffWithJitter {
  override shouldRetry(err: Error): boolean {
    if (err.message === 'Connection refused: Server unavailable') return false
    return super.shouldRetry(err)
  }
}

export class ReferenceDevice {
  private client: SdkClient | null = null
  private hub: string | null = null
  private connected = false
  private seq = 0
  private timer: NodeJS.Timeout | null = null
  private stopped = false

  constructor(
    private readonly o: ReferenceOptions,
    private readonly on: Partial<ReferenceEvents> = {},
  ) {}

  /** The sample's main: connect, then start the telemetry timer. */
  async start(): Promise<void> {
    await this.connect()
    this.timer = setInterval(() => this.sendTelemetry(), this.o.telemetryMs)
  }

  /** Readings produced so far (sent or not): the lab's missing seqs are the ones lost. */
  get produced(): number {
    return this.seq
  }

  async stop(): Promise<void> {
    this.stopped = true
    if (this.timer) clearInterval(this.timer)
    const client = this.client
    this.client = null
    this.connected = false
    if (!client) return
    client.removeAllListeners()
    client.on('error', () => {})
    // close() does not cancel the SDK's running retries; the sample never needed it to.
    await Promise.race([client.close().catch(() => {}), new Promise((r) => setTimeout(r, 2000))])
  }

  private async connect(): Promise<void> {
    const key = derivedKey(this.o.groupKey, this.o.deviceId)
    const result = await register(this.o, this.o.deviceId, key, this.o.modelId)
    if (this.stopped) return
    const client = hubClient(result.assignedHub, result.deviceId, key)
    this.client = client
    this.hub = result.assignedHub
    client.setRetryPolicy(new MultiHubRetryPolicy())
    client.on('connect', () => {
      this.connected = true
      this.on.connected?.(result.assignedHub, Date.now())
    })
    client.on('disconnect', () => void this.disconnectHandler())
    client.on('error', () => {})
    client.on('message', (msg) => void client.complete(msg).catch(() => {}))
    await client.setOptions({ ca: this.o.ca })
    await client.open()
    const twin = await client.getTwin()
    twin.on('properties.desired', () => {})
    client.onDeviceMethod('echo', (request, response) => {
      void response.send(200, request.payload).catch(() => {})
    })
  }

  private async disconnectHandler(): Promise<void> {
    if (!this.connected || this.stopped) return
    this.connected = false
    this.on.disconnected?.(Date.now())
    await this.client?.close().catch(() => {})
    try {
      await this.connect()
    } catch (e) {
      this.on.stuck?.((e as Error).message, Date.now())
    }
  }

  private sendTelemetry(): void {
    const seq = ++this.seq
    const client = this.client
    const hub = this.hub
    if (!this.connected || !client || !hub) return
    client.sendEvent(reading(this.o.deviceId, seq), (err) => {
      if (!err) this.on.acked?.(seq, hub, Date.now())
    })
  }
}
