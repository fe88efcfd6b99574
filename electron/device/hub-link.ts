import device from 'azure-iot-device'
import type { Message as SdkMessage } from 'azure-iot-device'
import deviceMqtt from 'azure-iot-device-mqtt'
import mqttBase from 'azure-iot-mqtt-base'
import type { Transport } from '../../shared/domain'
import { type HubProblem, type LinkLoss, describeLoss } from '../../shared/timeline'
import { Aborted, classifyHubConnect, clip, socketError } from './errors'
import { timedOut, withTimeout } from './timing'
import { type Delivery, WireTap, parseMethodTopic } from './wire'

// The Azure packages are CommonJS; Node's ESM loader only finds some of their named exports.
const { Client, Message, DeviceMethodResponse, SharedAccessKeyAuthenticationProvider } = device
const { Mqtt, MqttWs } = deviceMqtt
const { MqttBase } = mqttBase

export interface HubLinkOptions {
  host: string
  deviceId: string
  deviceKey: string
  modelId: string
  transport: Transport
  ca?: string
  keepAliveSec: number
  connectTimeoutMs: number
  twinTimeoutMs: number
  /** Take C2D messages from the start; off, the hub keeps them queued for later. */
  c2d: boolean
  /** SAS token lifetime, and how long before expiry the SDK renews it (a new CONNECT). */
  tokenValiditySec: number
  tokenRenewalMarginSec: number
  /** The SDK renewed the token and reconnected under it, without the link dropping. */
  onTokenRenewed?: () => void
}

export interface InboundMethod {
  name: string
  body: Buffer
  respond(status: number, body: unknown): Promise<void>
}

/**
 * A C2D message. Nothing is acknowledged on the wire until complete() or reject() (on MQTT both
 * are the PUBACK), so a message the device cannot act on yet stays the hub's: left unsettled, it
 * is delivered again on the next connection. Both answer false when this connection is gone.
 */
export interface InboundC2d {
  messageId: string | null
  body: Buffer
  properties: Record<string, string>
  complete(): boolean
  reject(): boolean
}

/** Passed in before connecting: a hub may deliver queued C2D and desired patches right after CONNACK. */
export interface LinkHandlers {
  method(call: InboundMethod): void
  c2d(message: InboundC2d): void
  desired(patch: Record<string, unknown>): void
  /** Something arrived that the SDK would have crashed on; it was dropped. */
  dropped(topic: string, why: string): void
}

export class HubConnectError extends Error {
  constructor(readonly problem: HubProblem) {
    super(problem.kind)
  }
}

/** An operation on a link that is gone (or went while waiting). The work is retried on the next link. */
export class LinkDown extends Error {}

/** The hub answered a request with an error: sending it again would get the same answer. */
export class HubRefused extends Error {}

/** The SDK's retries outlive a dead hub by minutes; the engine reconnects itself, so the SDK never retries. */
const noRetry = { shouldRetry: () => false, nextRetryTimeout: () => -1 }

/**
 * One MQTT connection to one hub, through the unmodified device SDK. A link is used once: when it
 * drops, the engine builds a new one (maybe to another hub) and this one is closed for good, so an
 * old client can never reconnect behind the engine's back and kick the new one off.
 */
export class HubLink {
  /** Resolves, once, with why the link is gone. Never rejects. */
  readonly lost: Promise<LinkLoss>
  private markLost!: (loss: LinkLoss) => void
  private openedAt = 0
  private down = false
  private opened = false
  private c2dOn = false
  private c2dChange: Promise<void> = Promise.resolve()
  private closing: Promise<void> | null = null
  private readonly pending = new Set<(e: Error) => void>()
  private readonly tap: WireTap
  private readonly base: InstanceType<typeof MqttBase>
  private readonly auth: InstanceType<typeof SharedAccessKeyAuthenticationProvider>
  private readonly transport: InstanceType<typeof Mqtt>
  private readonly client: InstanceType<typeof Client>

  private constructor(
    private readonly o: HubLinkOptions,
    private readonly handlers: LinkHandlers,
  ) {
    this.lost = new Promise((resolve) => {
      this.markLost = (loss) => {
        if (this.down) return
        this.down = true
        for (const reject of this.pending) reject(new LinkDown(describeLoss(loss)))
        this.pending.clear()
        resolve(loss)
      }
    })
    this.tap = new WireTap({
      connectTimeoutMs: o.connectTimeoutMs,
      onDropped: (t, why) => handlers.dropped(t, why),
      // The SDK's state is unknown after it threw: this link is done, the engine builds another.
      onFault: (e) => this.fail({ kind: 'sdk-fault', detail: clip(e.message) }),
    })
    this.base = new MqttBase(this.tap.provider)
    this.auth = SharedAccessKeyAuthenticationProvider.fromConnectionString(
      `HostName=${o.host};DeviceId=${o.deviceId};SharedAccessKey=${o.deviceKey}`,
      o.tokenValiditySec,
      o.tokenRenewalMarginSec,
    )
    this.auth.on('newTokenAvailable', this.onNewToken)
    this.transport =
      o.transport === 'mqttws' ? new MqttWs(this.auth, this.base) : new Mqtt(this.auth, this.base)
    this.client = new Client(this.transport)
    this.client.setRetryPolicy(noRetry)
    // The client emits 'error' when a subscription fails after a drop; unhandled, that ends the process.
    this.client.on('error', () => {})
    this.client.on('disconnect', this.onDisconnect)
    this.base.on('message', this.onMqttMessage)
    this.transport.on('message', this.onC2d)
    this.transport.on('twinDesiredPropertiesUpdate', this.onDesired)
  }

  /** Connects (bounded), subscribes to methods, C2D and desired properties, and hands back a live link. */
  static async open(
    o: HubLinkOptions,
    handlers: LinkHandlers,
    signal: AbortSignal,
  ): Promise<HubLink> {
    const link = new HubLink(o, handlers)
    try {
      await link.connect(signal)
      return link
    } catch (e) {
      await link.close(1000)
      throw e
    }
  }

  get host(): string {
    return this.o.host
  }

  get alive(): boolean {
    return this.opened && !this.down
  }

  /** How long the link has been up (0 before it is). */
  /** When the hub last sent anything on this link (its opening, if nothing since). */
  get lastHeardAt(): number {
    return Math.max(this.tap.lastPacketAt, this.openedAt)
  }

  get livedMs(): number {
    return this.openedAt ? Date.now() - this.openedAt : 0
  }

  private async connect(signal: AbortSignal): Promise<void> {
    await this.client.setOptions({
      ca: this.o.ca,
      keepalive: this.o.keepAliveSec,
      modelId: this.o.modelId,
    })
    let onAbort = () => {}
    const aborted = new Promise<never>((_, reject) => {
      onAbort = () => reject(new Aborted())
      if (signal.aborted) onAbort()
      signal.addEventListener('abort', onAbort, { once: true })
    })
    aborted.catch(() => {})
    try {
      await this.handshake(aborted)
    } finally {
      signal.removeEventListener('abort', onAbort)
    }
  }

  /** CONNECT, then the method, C2D and desired-property subscriptions; each step bounded. */
  private async handshake(aborted: Promise<never>): Promise<void> {
    const opened = new Promise<void>((resolve, reject) => {
      this.client.open((err) => {
        if (err) return reject(new HubConnectError(classifyHubConnect(this.tap.lastError, err)))
        this.opened = true
        this.openedAt = Date.now()
        resolve()
      })
    })
    const r = await withTimeout(Promise.race([opened, aborted]), this.o.connectTimeoutMs)
    if (r === timedOut) throw new HubConnectError({ kind: 'timeout', ms: this.o.connectTimeoutMs })

    const subscribed = Promise.all([
      this.call<void>((cb) => this.transport.enableMethods(cb)),
      this.setC2d(this.o.c2d),
      this.call<void>((cb) => this.transport.enableTwinDesiredPropertiesUpdates(cb)),
    ])
    const s = await withTimeout(Promise.race([subscribed, aborted]), this.o.twinTimeoutMs).catch(
      (e: Error) => {
        if (e instanceof Aborted) throw e
        throw new HubConnectError({
          kind: 'unreachable',
          error: { message: `the connection broke while subscribing: ${e.message}` },
        })
      },
    )
    if (s === timedOut)
      throw new HubConnectError({ kind: 'subscribe-timeout', ms: this.o.twinTimeoutMs })
  }

  /** Whether the link takes C2D messages now. */
  get c2d(): boolean {
    return this.c2dOn
  }

  /**
   * Subscribes to C2D, or unsubscribes so the hub keeps the messages (on MQTT receiving one is
   * settling it: a device that cannot act on C2D must not take them).
   */
  setC2d(enabled: boolean): Promise<void> {
    this.c2dOn = enabled
    // One change at a time: an off still unsubscribing must not land after a later on.
    const change = this.c2dChange
      .catch(() => {})
      .then(async () => {
        if (enabled) return this.call<void>((cb) => this.transport.enableC2D(cb))
        await this.call<void>((cb) => this.transport.disableC2D(cb))
        // The SDK unsubscribes only what it subscribed itself, but the hub keeps the subscriptions
        // of an earlier connection (clean session 0): unsubscribe on the wire as well.
        await this.call<void>((cb) =>
          this.tap.unsubscribe(`devices/${this.o.deviceId}/messages/devicebound/#`, cb),
        )
      })
    this.c2dChange = change
    return change
  }

  /** Resolves on PUBACK. The message id `{deviceId}-{seq}` lets the hub recognise a resend. */
  sendTelemetry(seq: number, body: Record<string, unknown>, component?: string): Promise<void> {
    const message = new Message(JSON.stringify(body))
    message.messageId = `${this.o.deviceId}-${seq}`
    message.contentType = 'application/json'
    message.contentEncoding = 'utf-8'
    message.properties.add('seq', String(seq))
    // The SDK puts `dt-subject` on the wire as `$.sub`: IoT Plug and Play's component marker.
    if (component) message.properties.add('dt-subject', component)
    // Straight to the transport: the Client's retry layer around it does nothing under the
    // no-retry policy, and costs CPU on every message.
    return this.call((cb) => this.transport.sendEvent(message, (err) => cb(err ?? undefined)))
  }

  async updateReported(patch: Record<string, unknown>): Promise<void> {
    try {
      await this.twinCall((cb) => this.transport.updateTwinReportedProperties(patch, cb))
    } catch (e) {
      // The SDK turns an error reply into a plain Error; its own connection errors are typed.
      if (!(e instanceof LinkDown) && (e as Error).name === 'Error' && this.alive)
        throw new HubRefused((e as Error).message)
      throw e
    }
  }

  getTwin(): Promise<{ desired: Record<string, unknown>; reported: Record<string, unknown> }> {
    return this.twinCall((cb) => this.transport.getTwin(cb))
  }

  /** Declares the link unusable (e.g. the hub stopped answering twin requests) and closes it. */
  fail(loss: LinkLoss): void {
    this.markLost(loss)
    void this.close(2000)
  }

  /** Closes for good: listeners off, MQTT DISCONNECT if it can, the socket destroyed if it cannot. */
  close(timeoutMs: number): Promise<void> {
    this.markLost({ kind: 'local' })
    this.closing ??= (async () => {
      this.auth.removeListener('newTokenAvailable', this.onNewToken)
      this.client.removeListener('disconnect', this.onDisconnect)
      this.base.removeListener('message', this.onMqttMessage)
      this.transport.removeListener('message', this.onC2d)
      this.transport.removeListener('twinDesiredPropertiesUpdate', this.onDesired)
      await withTimeout(
        this.client.close().catch(() => undefined),
        timeoutMs,
      )
      this.tap.forceEnd()
      this.auth.stop()
    })()
    return this.closing
  }

  /** Runs one SDK operation on this link only, failing fast if the link is or goes down. */
  private call<T>(op: (cb: (err?: Error, result?: T) => void) => void): Promise<T> {
    if (this.down) return Promise.reject(new LinkDown('the link is down'))
    return new Promise<T>((resolve, reject) => {
      this.pending.add(reject)
      const done = (err?: Error, result?: T) => {
        this.pending.delete(reject)
        if (err) reject(err)
        else resolve(result as T)
      }
      try {
        op(done)
      } catch (e) {
        done(e as Error)
      }
    })
  }

  /** Twin requests have no timeout in the SDK: a hub that never answers would hang them forever. */
  private async twinCall<T>(op: (cb: (err?: Error, result?: T) => void) => void): Promise<T> {
    const r = await withTimeout(this.call(op), this.o.twinTimeoutMs)
    if (r !== timedOut) return r
    const loss: LinkLoss = { kind: 'twin-timeout', ms: this.o.twinTimeoutMs }
    this.fail(loss)
    throw new LinkDown(describeLoss(loss))
  }

  private readonly onDisconnect = () => {
    if (!this.opened) return
    const silentMs = Date.now() - this.tap.lastPacketAt
    if (silentMs >= this.o.keepAliveSec * 1000) this.markLost({ kind: 'silent', ms: silentMs })
    else if (this.tap.lastError)
      this.markLost({ kind: 'broken', error: socketError(this.tap.lastError) })
    else this.markLost({ kind: 'closed' })
  }

  private readonly onNewToken = () => {
    if (this.alive) this.o.onTokenRenewed?.()
  }

  private readonly onMqttMessage = (topic: string, payload: Buffer) => {
    if (!topic.startsWith('$iothub/methods/POST/')) return
    const m = parseMethodTopic(topic)
    if (!m) return
    this.handlers.method({
      name: m.name,
      body: payload,
      respond: (status, body) =>
        this.call<void>((cb) =>
          new DeviceMethodResponse(m.rid, this.transport).send(status, body, (err) =>
            cb(err ?? undefined),
          ),
        ),
    })
  }

  private readonly onC2d = (msg: SdkMessage) => {
    const properties: Record<string, string> = {}
    for (const p of msg.properties.propertyList) properties[p.key] = p.value
    const data = msg.data as Buffer | string | undefined
    const messageId = typeof msg.messageId === 'string' ? msg.messageId : null
    const delivery: Delivery | null = this.tap.takeDelivery(messageId)
    // On MQTT the PUBACK is the settlement (the SDK's complete/reject send nothing): the tap held
    // it back, and sends it now that the device has decided.
    const settle = () => !this.down && (delivery?.settle() ?? true)
    this.handlers.c2d({
      messageId,
      body: Buffer.isBuffer(data) ? data : Buffer.from(data ?? ''),
      properties,
      complete: () => {
        if (!settle()) return false
        this.client.complete(msg, () => {})
        return true
      },
      reject: () => {
        if (!settle()) return false
        try {
          this.client.reject(msg, () => {})
        } catch {
          // The MQTT transport throws NotImplementedError for reject: there is nothing to send.
        }
        return true
      },
    })
  }

  private readonly onDesired = (patch: Record<string, unknown>) => this.handlers.desired(patch)
}
