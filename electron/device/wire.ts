import type { EventEmitter } from 'node:events'
import { createRequire } from 'node:module'

/** The part of an mqtt.js client the tap touches. */
interface MqttClient extends EventEmitter {
  end(force?: boolean, cb?: () => void): unknown
  unsubscribe(topic: string, cb: (err?: Error) => void): unknown
  stream?: { destroy(): void } & Partial<EventEmitter>
  [method: string]: unknown
}

/** The client methods whose completion callback the SDK hands in (the callback is the last argument). */
const guardedMethods = ['end', 'subscribe', 'unsubscribe', 'publish'] as const

interface MqttModule {
  connect(uri: string, options: Record<string, unknown>): MqttClient
}

// The SDK ships its own mqtt.js (4.x); wrapping that very copy keeps the wire exactly what the SDK
// expects. (Not named `require`: the Electron bundle's ESM shim declares that name itself.)
const localRequire = createRequire(import.meta.url)
const sdkMqtt = createRequire(localRequire.resolve('azure-iot-mqtt-base'))('mqtt') as MqttModule

/** An mqtt.js error as it comes off the socket: `code` is the CONNACK return code or a socket error code. */
export type RawError = Error & { code?: string | number }

/** A C2D message whose PUBACK the tap is holding back until the engine has decided on it. */
export interface Delivery {
  /** Sends the PUBACK; false when the connection it came on is gone (the hub delivers it again). */
  settle(): boolean
}

interface HeldPublish {
  mid: string | null
  packetId: number
  client: MqttClient
}

type Publish = { topic: string; qos: number; messageId?: number }
type SendPacket = (packet: Record<string, unknown>, cb: () => void) => void

/** Unsettled C2D a hub may push at once; past it the oldest are forgotten (and come back later). */
const maxHeld = 100

const devicebound = /^devices\/[^/]+\/messages\/devicebound\//

/** The `$.mid` system property of a C2D topic, when it can be read. */
function c2dMessageId(topic: string): string | null {
  const bag = topic.replace(devicebound, '')
  for (const pair of bag.split('&')) {
    const [k, v] = pair.split('=')
    try {
      if (k && v !== undefined && decodeURIComponent(k) === '$.mid') return decodeURIComponent(v)
    } catch {
      return null
    }
  }
  return null
}

/**
 * Sits between the SDK's MqttBase and mqtt.js (as the "mqtt provider" MqttBase accepts) so the
 * engine can see what the SDK hides and guard against what would crash it:
 * - the raw connect error (CONNACK 3 vs 5 vs ECONNREFUSED); the device SDK reports every first
 *   connect failure as "Not authorized", which is useless for deciding between cache and DPS;
 * - when the last packet arrived, so a keep-alive loss can be told from a closed connection;
 * - a handle to end the socket for certain when a client is abandoned;
 * - inbound packets the SDK would throw on in a later tick (bad JSON, malformed topics);
 * - throws from the SDK's own code running in mqtt.js events and callbacks, where nothing else
 *   could catch them (the provisioning transport calls a missing callback when DPS drops the
 *   connection between CONNACK and SUBACK): they are handed to `onFault`, not to the process.
 */
export class WireTap {
  lastError: RawError | null = null
  lastPacketAt = 0
  private client: MqttClient | null = null
  /** The callback of a graceful end() still waiting for PUBACKs, if one is. */
  private endingGracefully: (() => void) | null = null
  private held: HeldPublish[] = []

  constructor(
    private readonly options: {
      connectTimeoutMs?: number
      onDropped?: (topic: string, why: string) => void
      /** The SDK threw inside an mqtt.js event or callback; its state is not to be trusted now. */
      onFault?: (error: Error) => void
      /** The server closed a connection it had accepted (CONNACK 0); the client did not end it. */
      onClose?: () => void
    } = {},
  ) {}

  /** The first SDK throw this tap contained, if any. */
  fault: Error | null = null

  private contain(e: unknown): void {
    const error = e instanceof Error ? e : new Error(String(e))
    const first = this.fault === null
    this.fault ??= error
    if (!first) return
    try {
      this.options.onFault?.(error)
    } catch {
      // The fault handler only records and schedules: nothing more may escape from here.
    }
  }

  private guard<A extends unknown[]>(fn: (...args: A) => unknown): (...args: A) => unknown {
    return (...args: A) => {
      try {
        return fn(...args)
      } catch (e) {
        this.contain(e)
        return undefined
      }
    }
  }

  readonly provider = {
    connect: (uri: string, mqttOptions: Record<string, unknown>): MqttClient => {
      if (this.retired) return this.deadClient(uri, mqttOptions)
      const options = { ...mqttOptions }
      if (this.options.connectTimeoutMs) options.connectTimeout = this.options.connectTimeoutMs
      const client = sdkMqtt.connect(uri, options)
      this.client = client
      this.lastError = null
      this.lastPacketAt = Date.now()
      // Also keeps errors that arrive after MqttBase dropped its own listeners from going unhandled.
      client.on('error', (e: RawError) => (this.lastError = e))
      client.on('packetreceive', () => (this.lastPacketAt = Date.now()))
      let accepted = false
      let ending = false
      client.on('connect', () => (accepted = true))
      // Ahead of mqtt.js's own handler: by the time the client emits 'close', the SDK has
      // already reacted to the dead socket by ending the client itself.
      ;(client.stream as EventEmitter | undefined)?.prependListener?.(
        'close',
        () => accepted && !ending && this.options.onClose?.(),
      )
      // A graceful end() waits for every PUBACK, and while it waits mqtt.js ignores end(true):
      // remember its callback so forceEnd() can finish it (the SDK's close() hangs on it).
      const end = client.end.bind(client) as (...args: unknown[]) => unknown
      client.end = (...args: unknown[]) => {
        ending = true
        const [force, cb] = args
        if (force !== false || typeof cb !== 'function' || args.length > 2) return end(...args)
        const done = cb as () => void
        let called = false
        const once = () => {
          if (called) return
          called = true
          if (this.client === client) this.endingGracefully = null
          done()
        }
        this.endingGracefully = once
        return end(force, once)
      }
      for (const name of guardedMethods) {
        const method = (client[name] as (...args: unknown[]) => unknown).bind(client)
        client[name] = (...args: unknown[]) => {
          const last = args.length - 1
          if (typeof args[last] === 'function')
            args[last] = this.guard(args[last] as (...a: unknown[]) => unknown)
          return method(...args)
        }
      }
      this.holdC2dAcks(client)
      const emit = client.emit.bind(client)
      client.emit = (event: string | symbol, ...args: unknown[]): boolean => {
        try {
          if (event !== 'message') return emit(event, ...args)
          const clean = sanitizeInbound(String(args[0]), args[1] as Buffer)
          if ('drop' in clean) {
            this.options.onDropped?.(String(args[0]), clean.drop)
            return true
          }
          return emit(event, clean.topic, clean.payload, ...args.slice(2))
        } catch (e) {
          this.contain(e)
          return true
        }
      }
      return client
    },
  }

  /**
   * mqtt.js acknowledges a QoS 1 publish as soon as its handleMessage hook calls back, and on
   * MQTT that PUBACK is what settles a C2D message at the hub. For C2D the hook calls back with
   * an error instead (mqtt.js then sends nothing and goes on to the next packet), and keeps the
   * packet id, so the PUBACK goes out only when the engine has decided (see takeDelivery).
   * Without the private packet writer of this mqtt.js version it cannot hold, and acks as ever.
   */
  private holdC2dAcks(client: MqttClient): void {
    const handle = client.handleMessage as
      ((p: Publish, cb: (e?: Error) => void) => void) | undefined
    if (typeof handle !== 'function' || typeof client._sendPacket !== 'function') return
    client.handleMessage = (packet: Publish, callback: (e?: Error) => void) => {
      if (packet.qos !== 1 || packet.messageId === undefined || !devicebound.test(packet.topic))
        return handle.call(client, packet, callback)
      this.held.push({ mid: c2dMessageId(packet.topic), packetId: packet.messageId, client })
      if (this.held.length > maxHeld) this.held.shift()
      callback(new Error('held until the device decides'))
    }
  }

  /**
   * The held PUBACK of the C2D message with this `$.mid` (else the oldest held, as the SDK hands
   * messages on in the order they came).
   */
  takeDelivery(mid: string | null): Delivery | null {
    let i = mid === null ? -1 : this.held.findIndex((h) => h.mid === mid)
    if (i < 0) i = this.held.length ? 0 : -1
    if (i < 0) return null
    const [h] = this.held.splice(i, 1)
    return {
      settle: () => {
        if (this.client !== h!.client || !h!.client.connected) return false
        try {
          ;(h!.client._sendPacket as SendPacket)(
            { cmd: 'puback', messageId: h!.packetId },
            () => {},
          )
          return true
        } catch {
          return false
        }
      },
    }
  }

  /** Unsubscribes on the wire, beside the SDK (which only unsubscribes what it subscribed). */
  unsubscribe(topic: string, cb: (err?: Error) => void): void {
    if (!this.client) return cb(new Error('not connected'))
    this.client.unsubscribe(topic, (err) => cb(err ?? undefined))
  }

  private retired = false

  /**
   * The SDK client behind this tap was given up on. The provisioning SDK retries a throttled
   * registration on its own timer even after cancel(), opening a new connection that takes the
   * engine's next one over (same client id): from now on every connection it asks for is
   * ended before it is made.
   */
  retire(): void {
    this.retired = true
    this.forceEnd()
  }

  private deadClient(uri: string, mqttOptions: Record<string, unknown>): MqttClient {
    const client = sdkMqtt.connect(uri, { ...mqttOptions, reconnectPeriod: 0 })
    client.on('error', () => undefined)
    client.end(true)
    return client
  }

  /** Destroys the socket now, whatever state the SDK thinks it is in. */
  forceEnd(): void {
    const client = this.client
    if (!client) return
    // Called from timers and close paths: nothing the SDK does in its callbacks may escape.
    try {
      client.end(true)
      // If a graceful end was already waiting on a silent hub, end(true) did nothing: cut the
      // socket, and complete that end so the SDK settles what it has in flight (its own timer
      // would otherwise hold the process open for 30 s).
      client.stream?.destroy()
      this.endingGracefully?.()
    } catch {
      // Best effort: a close must never turn into a crash.
    }
  }
}

type Clean = { topic: string; payload: Buffer } | { drop: string }

function parses(payload: Buffer): unknown {
  try {
    return JSON.parse(payload.toString('utf8'))
  } catch {
    return undefined
  }
}

const isObject = (v: unknown): v is Record<string, unknown> =>
  typeof v === 'object' && v !== null && !Array.isArray(v)

/**
 * Makes an inbound publish safe for the SDK, which JSON.parses some bodies and decodes topic
 * properties outside any try/catch, in a later tick where a throw would end the process.
 * Replies are rewritten into error replies (so the waiting request fails instead of hanging);
 * unsolicited packets that cannot be read are dropped.
 */
export function sanitizeInbound(topic: string, payload: Buffer): Clean {
  if (topic.startsWith('$dps/registrations/res/')) {
    const body = parses(payload)
    const status = Number(/^\$dps\/registrations\/res\/(\d+)\//.exec(topic)?.[1] ?? NaN)
    const fine = isObject(body) && (status >= 300 || typeof body.status === 'string')
    if (fine) return { topic, payload }
    return {
      topic,
      payload: Buffer.from(
        JSON.stringify({
          status: 'failed',
          errorCode: 'protocol',
          message: 'DPS sent a reply that is not a registration result',
        }),
      ),
    }
  }
  if (topic.startsWith('$iothub/twin/res/')) {
    if (payload.length === 0 || parses(payload) !== undefined) return { topic, payload }
    return {
      topic,
      payload: Buffer.from(
        JSON.stringify({
          errorCode: 'protocol',
          message: 'the hub sent a twin reply that is not JSON',
        }),
      ),
    }
  }
  if (topic.startsWith('$iothub/twin/PATCH/properties/desired')) {
    return isObject(parses(payload))
      ? { topic, payload }
      : { drop: 'desired-property patch that is not a JSON object' }
  }
  if (topic.startsWith('$iothub/methods/POST/')) {
    return parseMethodTopic(topic)
      ? { topic, payload }
      : { drop: 'method request without a name or request id' }
  }
  const c2d = /^(devices\/[^/]+\/messages\/devicebound\/)(.*)$/.exec(topic)
  if (c2d) {
    try {
      for (const pair of c2d[2]!.split('&')) pair.split('=').forEach((s) => decodeURIComponent(s))
      return { topic, payload }
    } catch {
      // Delivered without its properties: the engine rejects it as a command it cannot identify.
      return { topic: c2d[1]!, payload }
    }
  }
  return { topic, payload }
}

/** `$iothub/methods/POST/{name}/?$rid={rid}` → name and request id. */
export function parseMethodTopic(topic: string): { name: string; rid: string } | null {
  const m = /^\$iothub\/methods\/POST\/([^/?]+)\/?\?(.*)$/.exec(topic)
  if (!m) return null
  const rid = new URLSearchParams(m[2]).get('$rid')
  if (!rid) return null
  try {
    return { name: decodeURIComponent(m[1]!), rid }
  } catch {
    return null
  }
}
