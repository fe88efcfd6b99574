import { Aedes, type AedesPublishPacket, type Client } from 'aedes'
import { randomBytes } from 'node:crypto'
import type { Duplex } from 'node:stream'
import { encodeBag, parseBag, parseQuery } from './bag'
import { Endpoint } from './endpoint'
import { deriveDeviceKey, verifySasToken } from './sas'
import type { DeviceRecord, LabState } from './state'
import type { HubName } from './types'

const maxMessageBytes = 256 * 1024

interface Session {
  client: Client
  deviceId: string
}

interface PendingMethod {
  resolve: (r: { status: number; payload: unknown }) => void
  timer: NodeJS.Timeout
}

type Reply = (status: number, body: unknown) => void

function authError(code: number, message: string) {
  return Object.assign(new Error(message), { returnCode: code })
}

/**
 * One IoT hub. IoT Hub is request/response, not a broker: every reply is written to the one
 * client that asked, and a device may only publish and subscribe on its own topics.
 */
export class Hub {
  readonly endpoint: Endpoint
  private readonly broker: Aedes
  /** Connected device sessions, by device id. */
  private readonly sessions = new Map<string, Session>()
  /**
   * Subscriptions per device, kept across reconnects of clean-session-0 clients: after a drop
   * the SDK re-subscribes only methods and C2D, and after token renewal nothing at all.
   */
  private readonly subscriptions = new Map<string, Set<string>>()
  private readonly pendingMethods = new Map<string, PendingMethod>()
  /** Host names devices use for this hub: 127.0.0.1:PORT, and the WebSocket address. */
  readonly hostNames: string[] = []

  constructor(
    readonly name: HubName,
    private readonly state: LabState,
    private readonly groupKeys: () => string[],
    tls: { key: string; cert: string },
    private readonly log: (line: string) => void,
  ) {
    this.broker = new Aedes({
      maxClientsIdLength: 128,
      authenticate: (client, username, password, done) => this.authenticate(client, username, password, done),
      authorizePublish: (client, packet, done) => this.onPublish(client, packet, done),
      authorizeSubscribe: (client, sub, done) => done(null, this.allowed(client, sub.topic) ? sub : null),
      // Nothing flows device-to-device: only packets this hub addressed to a client itself.
      authorizeForward: (client, packet) => (this.forwardable(client, packet) ? packet : null),
    })
    this.broker.on('clientReady', (client) => this.onReady(client))
    this.broker.on('clientDisconnect', (client) => this.onGone(client))
    this.broker.on('subscribe', (subs, client) => this.onSubscribe(client, subs.map((s) => s.topic)))
    this.broker.on('unsubscribe', (topics, client) => this.subscriptions.get(client.id)?.forEach((t) => topics.includes(t) && this.subscriptions.get(client.id)?.delete(t)))
    this.broker.on('ack', (packet, client) => this.onAck(client, packet as { topic?: string }))
    this.endpoint = new Endpoint(`hub ${name.toUpperCase()}`, tls, (stream: Duplex) => this.broker.handle(stream), log)

    state.on('evict', (deviceId, hub) => hub === this.name && this.evict(deviceId))
    state.on('desired', (deviceId, patch) => this.pushDesired(deviceId, patch))
    state.on('c2d', (deviceId) => this.flushC2d(deviceId))
  }

  async start(port: number): Promise<number> {
    await this.broker.listen()
    const bound = await this.endpoint.listen(port)
    this.hostNames.unshift(`127.0.0.1:${bound}`)
    return bound
  }

  get host(): string {
    return this.hostNames[0]!
  }

  isConnected(deviceId: string): boolean {
    return this.sessions.has(deviceId)
  }

  private authenticate(
    client: Client,
    username: string | undefined,
    password: Buffer | undefined,
    done: (e: ReturnType<typeof authError> | null, ok: boolean | null) => void,
  ): void {
    const deviceId = client.id
    const [host, userDevice] = (username ?? '').split('/')
    const device = this.state.devices.get(deviceId)
    if (userDevice !== deviceId || !host || !password) return done(authError(5, 'malformed credentials'), false)
    if (!this.hostNames.includes(host)) return done(authError(5, `this hub is not ${host}`), false)
    const keys = this.groupKeys().map((k) => deriveDeviceKey(k, deviceId))
    const check = verifySasToken(password.toString('utf8'), keys, this.hostNames.map((h) => `${h}/devices/${deviceId}`))
    if (!check.ok) {
      this.log(`hub ${this.name.toUpperCase()}: ${deviceId} refused (token ${check.reason})`)
      return done(authError(5, `token ${check.reason}`), false)
    }
    if (!device) return done(authError(5, 'device not registered'), false)
    if (this.state.targetHub(device) !== this.name) {
      this.log(`hub ${this.name.toUpperCase()}: ${deviceId} refused (belongs on hub ${this.state.targetHub(device).toUpperCase()})`)
      return done(authError(5, 'device is not assigned to this hub'), false)
    }
    done(null, true)
  }

  private onReady(client: Client): void {
    const device = this.state.devices.get(client.id)
    if (!device) return client.close()
    if (client.clean) this.subscriptions.delete(client.id)
    this.sessions.set(client.id, { client, deviceId: client.id })
    device.connectedTo = this.name
    this.log(`hub ${this.name.toUpperCase()}: ${client.id} connected`)
    this.flushC2d(client.id)
  }

  private onGone(client: Client): void {
    // A newer connection with the same id replaces the old one; only forget the current one.
    if (this.sessions.get(client.id)?.client !== client) return
    this.sessions.delete(client.id)
    const device = this.state.devices.get(client.id)
    if (device?.connectedTo === this.name) device.connectedTo = null
    this.log(`hub ${this.name.toUpperCase()}: ${client.id} disconnected`)
  }

  private allowed(client: Client, filter: string): boolean {
    return (
      filter === `devices/${client.id}/messages/devicebound/#` ||
      filter === '$iothub/twin/res/#' ||
      filter === '$iothub/twin/PATCH/properties/desired/#' ||
      filter === '$iothub/methods/POST/#'
    )
  }

  private forwardable(client: Client, packet: AedesPublishPacket): boolean {
    if (packet.topic.startsWith(`devices/${client.id}/messages/devicebound/`)) {
      // A clean-session-0 redelivery of a message the device already settled is dropped.
      const mid = parseBag(packet.topic.slice(`devices/${client.id}/messages/devicebound/`.length)).systemProperties['$.mid']
      const msg = this.state.devices.get(client.id)?.c2d.find((m) => m.messageId === mid)
      return msg !== undefined && msg.state !== 'completed'
    }
    return packet.topic.startsWith('$iothub/')
  }

  private onSubscribe(client: Client, topics: string[]): void {
    let subs = this.subscriptions.get(client.id)
    if (!subs) this.subscriptions.set(client.id, (subs = new Set()))
    for (const t of topics) subs.add(t)
    if (topics.some((t) => t.includes('/messages/devicebound/'))) this.flushC2d(client.id)
  }

  subscriptionsOf(deviceId: string): string[] {
    return [...(this.subscriptions.get(deviceId) ?? [])]
  }

  private subscribed(deviceId: string, filter: string): boolean {
    return this.subscriptions.get(deviceId)?.has(filter) ?? false
  }

  private send(client: Client, topic: string, body: unknown, qos: 0 | 1 = 0): void {
    const payload = typeof body === 'string' ? Buffer.from(body) : Buffer.isBuffer(body) ? body : Buffer.from(JSON.stringify(body))
    client.publish({ cmd: 'publish', topic, payload, qos, retain: false, dup: false }, () => {})
  }

  private onPublish(client: Client | null, packet: AedesPublishPacket | { topic: string; payload: Buffer | string }, done: (e?: Error | null) => void): void {
    if (!client) return done(new Error('no client'))
    const device = this.state.devices.get(client.id)
    const topic = packet.topic
    const payload = Buffer.isBuffer(packet.payload) ? packet.payload : Buffer.from(packet.payload)
    if (!device || payload.length > maxMessageBytes) return done(new Error('refused'))
    const telemetryPrefix = `devices/${client.id}/messages/events/`
    if (topic.startsWith(telemetryPrefix)) {
      this.onTelemetry(device, topic.slice(telemetryPrefix.length), payload)
      return done(null)
    }
    const q = parseQuery(topic)
    const rid = q.get('$rid')
    const reply: Reply = (status, body) => {
      const version = status === 204 && typeof body === 'number' ? `&$version=${body}` : ''
      this.send(client, `$iothub/twin/res/${status}/?$rid=${rid ?? ''}${version}`, status === 204 ? '' : body)
    }
    if (topic.startsWith('$iothub/twin/GET/')) {
      done(null)
      return reply(200, { desired: device.twin.desired, reported: device.twin.reported })
    }
    if (topic.startsWith('$iothub/twin/PATCH/properties/reported/')) {
      done(null)
      return this.onReported(device, payload, reply)
    }
    const m = /^\$iothub\/methods\/res\/(\d{3})\//.exec(topic)
    if (m) {
      done(null)
      const pending = rid ? this.pendingMethods.get(rid) : undefined
      if (pending) {
        clearTimeout(pending.timer)
        this.pendingMethods.delete(rid!)
        pending.resolve({ status: Number(m[1]), payload: parseJson(payload) })
      }
      return
    }
    // Real IoT Hub drops a device that publishes where it may not.
    this.log(`hub ${this.name.toUpperCase()}: ${client.id} published to forbidden topic ${topic}`)
    done(new Error('topic not allowed'))
  }

  private onTelemetry(device: DeviceRecord, bag: string, payload: Buffer): void {
    const { systemProperties, properties } = parseBag(bag)
    const text = payload.toString('utf8')
    const isJson = (systemProperties['$.ct'] ?? '').includes('json')
    const seq = properties.seq !== undefined && /^\d+$/.test(properties.seq) ? Number(properties.seq) : null
    this.state.recordTelemetry(device, {
      seq,
      messageId: systemProperties['$.mid'] ?? null,
      body: isJson ? (parseJson(payload) ?? text) : text,
      properties,
      systemProperties,
      hub: this.name,
      arrivedAt: new Date().toISOString(),
    })
  }

  private onReported(device: DeviceRecord, payload: Buffer, reply: Reply): void {
    const patch = parseJson(payload)
    if (!patch || typeof patch !== 'object' || Array.isArray(patch)) {
      return reply(400, { errorCode: 400004, message: 'reported patch must be a JSON object' })
    }
    const reported = device.twin.reported
    for (const [k, v] of Object.entries(patch as Record<string, unknown>)) {
      if (k.startsWith('$')) continue
      if (v === null) delete reported[k]
      else reported[k] = v
    }
    reported.$version++
    reply(204, reported.$version)
  }

  private pushDesired(deviceId: string, patch: Record<string, unknown>): void {
    const s = this.sessions.get(deviceId)
    if (!s || !this.subscribed(deviceId, '$iothub/twin/PATCH/properties/desired/#')) return
    this.send(s.client, `$iothub/twin/PATCH/properties/desired/?$version=${String(patch.$version)}`, patch)
  }

  /** Invokes a direct method; answers as IoT Hub's service API does. */
  invokeMethod(deviceId: string, methodName: string, payload: unknown, timeoutSec: number): Promise<{ status: number; payload: unknown }> {
    const s = this.sessions.get(deviceId)
    if (!s || !this.subscribed(deviceId, '$iothub/methods/POST/#')) {
      return Promise.resolve({ status: 404, payload: { errorCode: 404103, message: 'The operation failed because the requested device is not online or is not subscribed to direct methods.' } })
    }
    const rid = randomBytes(8).toString('hex')
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        this.pendingMethods.delete(rid)
        resolve({ status: 504, payload: { errorCode: 504101, message: `Timed out waiting for the response from device after ${timeoutSec} s.` } })
      }, timeoutSec * 1000)
      this.pendingMethods.set(rid, { resolve, timer })
      // An empty body makes the SDK answer 400 without calling the handler: send null instead.
      // Method payloads are JSON on the wire, strings included.
      this.send(s.client, `$iothub/methods/POST/${methodName}/?$rid=${rid}`, Buffer.from(JSON.stringify(payload ?? null)))
    })
  }

  private flushC2d(deviceId: string): void {
    const s = this.sessions.get(deviceId)
    const device = this.state.devices.get(deviceId)
    if (!s || !device || !this.subscribed(deviceId, `devices/${deviceId}/messages/devicebound/#`)) return
    for (const m of device.c2d) {
      // Delivered elsewhere and never acknowledged: this hub delivers it again.
      if (m.state === 'completed' || (m.state === 'delivered' && m.deliveredTo === this.name)) continue
      m.state = 'delivered'
      m.deliveredTo = this.name
      m.deliveryCount++
      const bag = encodeBag(m.properties, { '$.mid': m.messageId, '$.to': `/devices/${deviceId}/messages/devicebound` })
      this.send(s.client, `devices/${deviceId}/messages/devicebound/${bag}`, m.body, 1)
    }
  }

  private onAck(client: Client, packet: { topic?: string }): void {
    const prefix = `devices/${client.id}/messages/devicebound/`
    if (!packet.topic?.startsWith(prefix)) return
    const mid = parseBag(packet.topic.slice(prefix.length)).systemProperties['$.mid']
    const msg = this.state.devices.get(client.id)?.c2d.find((m) => m.messageId === mid)
    // On MQTT the PUBACK is the settlement: the SDK completes on receipt.
    if (msg && msg.state !== 'completed') {
      msg.state = 'completed'
      msg.completedAt = new Date().toISOString()
    }
  }

  private evict(deviceId: string): void {
    const s = this.sessions.get(deviceId)
    if (s) {
      this.log(`hub ${this.name.toUpperCase()}: disconnecting ${deviceId} (moved to the other hub)`)
      s.client.close()
    }
  }

  async stop(): Promise<void> {
    for (const p of this.pendingMethods.values()) clearTimeout(p.timer)
    this.pendingMethods.clear()
    await this.endpoint.stop()
    await new Promise<void>((resolve) => this.broker.close(() => resolve()))
  }
}

export function parseJson(payload: Buffer): unknown {
  try {
    return JSON.parse(payload.toString('utf8'))
  } catch {
    return undefined
  }
}
