import { Aedes, type AedesPublishPacket, type Client } from 'aedes'
import { randomBytes } from 'node:crypto'
import type { Duplex } from 'node:stream'
import { encodeBag, parseBag, parseQuery } from './bag'
import { Deadlines } from './deadlines'
import { Endpoint } from './endpoint'
import { answering, contain, faultText, safeTimeout, type Log } from './guard'
import { parseJsonBounded } from './json'
import { deviceIdProblem, limits } from './limits'
import type { Quotas } from './quotas'
import { deriveDeviceKey, parseSasToken, verifySasToken } from './sas'
import { LimitError, type DeviceRecord, type LabState } from './state'
import type { HubName } from './types'
import type { WireLog } from './wire-log'

interface Session {
  client: Client
  deviceId: string
  /**
   * C2D message ids sent on a clean session, in order, until their PUBACK. The MQTT server keeps
   * nothing for a clean session, so its PUBACKs cannot name the message: they settle in order
   * (QoS 1 acknowledgements of one connection come back in the order the messages went out).
   * `null` for clean session 0, whose PUBACKs the server maps back itself.
   */
  cleanInflight: string[] | null
}

interface PendingMethod {
  resolve: (r: { status: number; payload: unknown }) => void
  timer: NodeJS.Timeout
}

type Reply = (status: number, body: unknown) => void
type Done = (e?: Error | null) => void
type Ended = 'disconnect-packet' | 'socket-closed' | 'evicted' | 'replaced' | 'hub-down'

function authError(code: number, message: string) {
  return Object.assign(new Error(message), { returnCode: code })
}

/**
 * One IoT hub. IoT Hub is request/response, not a broker: every reply is written to the one
 * client that asked, and a device may only publish and subscribe on its own topics. Every
 * callback the MQTT server makes into this class is contained: a fault closes that client only.
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
  /** The `se` of the token each connection authenticated with (unix seconds). */
  private readonly tokenExpiry = new WeakMap<Client, number>()
  /** The `model-id` each connection's CONNECT named (Plug and Play), or null. */
  private readonly modelIds = new WeakMap<Client, string | null>()
  /** Host names devices use for this hub: 127.0.0.1:PORT, and the WebSocket address. */
  readonly hostNames: string[] = []
  /** When each session's SAS token expires: IoT Hub drops the connection then. One timer for all. */
  private readonly expiries: Deadlines<Session>
  /** Connections refused past the connect rate since the lab last said so (said once a second). */
  private refusedUnsaid = 0
  private refusalSaidAt = 0
  /** Connections the lab itself is ending (eviction, token expiry, a forbidden publish). */
  private readonly ending = new WeakSet<Client>()
  /** Open connections a newer one with the same id is taking over. */
  private readonly replacing = new WeakSet<Client>()
  /** Connections that took over an open one with the same id. */
  private readonly replacers = new WeakSet<Client>()

  constructor(
    readonly name: HubName,
    private readonly state: LabState,
    private readonly groupKeys: () => string[],
    tls: { key: string; cert: string },
    private readonly log: Log,
    private readonly quotas: Quotas,
    /** Tokens that live longer than this are refused (seconds; undefined: any lifetime). */
    private readonly maxTokenLifetimeSec?: number,
    /** What watched devices do on the wire (`lizard exam`); unwatched ones cost a Map lookup. */
    private readonly wire?: WireLog,
  ) {
    const where = `hub ${name.toUpperCase()}`
    this.expiries = new Deadlines(log, `${where} token expiry`, (session) => {
      if (this.sessions.get(session.deviceId) !== session) return
      log(`${where}: disconnecting ${session.deviceId} (its SAS token expired)`)
      this.ending.add(session.client)
      session.client.close()
    })
    const closing = (client: Client | null) => () => client?.close()
    this.broker = new Aedes({
      maxClientsIdLength: limits.idLength,
      authenticate: (client, username, password, done) =>
        answering(
          log,
          `${where} authenticate`,
          done,
          (answer) => this.authenticate(client, username, password, answer),
          (answer) => answer(authError(3, 'server fault'), false),
        ),
      authorizePublish: (client, packet, done) =>
        answering(
          log,
          `${where} publish`,
          done,
          (answer) => this.onPublish(client, packet, answer),
          (answer) => answer(new Error('server fault')),
        ),
      authorizeSubscribe: (client, sub, done) =>
        answering(
          log,
          `${where} subscribe`,
          done,
          (answer) => answer(null, client && this.allowed(client, sub.topic) ? sub : null),
          (answer) => answer(new Error('server fault'), null),
        ),
      // Nothing flows device-to-device: only packets this hub addressed to a client itself.
      authorizeForward: (client, packet) =>
        contain(
          log,
          `${where} forward`,
          () => (this.forwardable(client, packet) ? packet : null),
          () => null,
        ),
    })
    // The broker's own errors (its persistence) would throw with no listener: log them instead.
    ;(this.broker as unknown as NodeJS.EventEmitter).on('error', (e: unknown) =>
      log(`${where}: broker error (${faultText(e)})`),
    )
    this.broker.on('clientReady', (client) =>
      contain(log, `${where} ready`, () => this.onReady(client), closing(client)),
    )
    this.broker.on('clientDisconnect', (client) =>
      contain(
        log,
        `${where} disconnect`,
        () => this.onGone(client),
        () => undefined,
      ),
    )
    this.broker.on('subscribe', (subs, client) =>
      contain(
        log,
        `${where} subscribe`,
        () =>
          this.onSubscribe(
            client,
            subs.map((s) => s.topic),
          ),
        closing(client),
      ),
    )
    this.broker.on('unsubscribe', (topics, client) =>
      contain(
        log,
        `${where} unsubscribe`,
        () => this.onUnsubscribe(client, topics),
        closing(client),
      ),
    )
    this.broker.on('ack', (packet, client) =>
      contain(
        log,
        `${where} ack`,
        () => this.onAck(client, packet as { topic?: string } | undefined),
        closing(client),
      ),
    )
    this.endpoint = new Endpoint(where, tls, (stream: Duplex) => this.broker.handle(stream), log)

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

  get connectedCount(): number {
    return this.sessions.size
  }

  private authenticate(
    client: Client,
    username: string | undefined,
    password: Buffer | undefined,
    done: (e: ReturnType<typeof authError> | null, ok: boolean | null) => void,
  ): void {
    const deviceId = client.id
    const refuse = (code: number, why: string) => {
      if (this.wire?.has(deviceId))
        this.wire.add(deviceId, {
          at: Date.now(),
          kind: 'hub-connect',
          hub: this.name,
          outcome: 'refused',
          connack: code,
          modelId: modelIdOf(username ?? ''),
          replaced: false,
        })
      done(authError(code, why), false)
    }
    // IoT Hub throttles new connections before it looks at who they are.
    if (!this.quotas.admitConnect(this.name)) {
      this.sayRefused()
      return refuse(3, 'too many new connections: server unavailable')
    }
    const idProblem = deviceIdProblem(deviceId)
    if (idProblem) {
      this.log(
        `hub ${this.name.toUpperCase()}: refused client id "${deviceId.slice(0, 40)}" (${idProblem})`,
      )
      return refuse(2, `device id ${idProblem}`)
    }
    const [host, userDevice] = (username ?? '').split('/')
    const device = this.state.devices.get(deviceId)
    if (userDevice !== deviceId || !host || !password) return refuse(5, 'malformed credentials')
    if (!this.hostNames.includes(host)) return refuse(5, `this hub is not ${host}`)
    const keys = this.groupKeys().map((k) => deriveDeviceKey(k, deviceId))
    const token = password.toString('utf8')
    const check = verifySasToken(
      token,
      keys,
      this.hostNames.map((h) => `${h}/devices/${deviceId}`),
    )
    if (!check.ok) {
      this.log(`hub ${this.name.toUpperCase()}: ${deviceId} refused (token ${check.reason})`)
      return refuse(5, `token ${check.reason}`)
    }
    const se = parseSasToken(token)!.se
    if (
      this.maxTokenLifetimeSec !== undefined &&
      se - Date.now() / 1000 > this.maxTokenLifetimeSec
    ) {
      this.log(
        `hub ${this.name.toUpperCase()}: ${deviceId} refused (token lives past the ${this.maxTokenLifetimeSec} s this lab allows)`,
      )
      return refuse(5, 'token lifetime too long')
    }
    if (!device) return refuse(5, 'device not registered')
    const refusal = this.state.refusal(device, this.name)
    if (refusal) {
      this.log(`hub ${this.name.toUpperCase()}: ${deviceId} refused (${refusal})`)
      return refuse(5, 'device is not assigned to this hub')
    }
    // A second connection with the same id replaces the first (aedes closes it before this one
    // is ready): both ends are told apart here, while the first is still the open one.
    const open = this.sessions.get(deviceId)
    if (open && open.client !== client) {
      this.replacing.add(open.client)
      this.replacers.add(client)
    }
    this.tokenExpiry.set(client, se)
    this.modelIds.set(client, modelIdOf(username ?? ''))
    this.quotas.connected(this.name)
    done(null, true)
  }

  /** A wave of refusals is one log line a second, not one per device. */
  private sayRefused(): void {
    this.refusedUnsaid++
    const now = Date.now()
    if (now - this.refusalSaidAt < 1000) return
    this.log(
      `hub ${this.name.toUpperCase()}: refused ${this.refusedUnsaid} new connection(s) past ${this.quotas.view().hubConnectRate} per second (CONNACK 3)`,
    )
    this.refusedUnsaid = 0
    this.refusalSaidAt = now
  }

  private onReady(client: Client): void {
    const device = this.state.devices.get(client.id)
    if (!device) return client.close()
    if (client.clean) this.subscriptions.delete(client.id)
    const replaced = this.sessions.get(client.id)
    if (replaced) this.expiries.delete(replaced)
    const session: Session = {
      client,
      deviceId: client.id,
      cleanInflight: client.clean ? [] : null,
    }
    this.sessions.set(client.id, session)
    const se = this.tokenExpiry.get(client)
    if (se !== undefined) this.expiries.set(session, se * 1000)
    device.connectedTo = this.name
    const modelId = this.modelIds.get(client) ?? null
    device.conformance.connected(modelId)
    if (this.wire?.has(client.id))
      this.wire.add(client.id, {
        at: Date.now(),
        kind: 'hub-connect',
        hub: this.name,
        outcome: 'accepted',
        modelId,
        replaced: this.replacers.has(client),
      })
    this.log(`hub ${this.name.toUpperCase()}: ${client.id} connected`)
    this.flushC2d(client.id)
  }

  private onGone(client: Client): void {
    if (this.wire?.has(client.id))
      this.wire.add(client.id, {
        at: Date.now(),
        kind: 'hub-disconnect',
        hub: this.name,
        how: this.howEnded(client),
      })
    // A newer connection with the same id replaces the old one; only forget the current one.
    const session = this.sessions.get(client.id)
    if (session?.client !== client) return
    this.expiries.delete(session)
    this.sessions.delete(client.id)
    const device = this.state.devices.get(client.id)
    if (device?.connectedTo === this.name) device.connectedTo = null
    this.log(`hub ${this.name.toUpperCase()}: ${client.id} disconnected`)
  }

  /** How a connection ended, as the exam reports it. */
  private howEnded(client: Client): Ended {
    // Set by the MQTT server only for a DISCONNECT packet (MQTT-3.14.4).
    if ((client as unknown as { _disconnected?: boolean })._disconnected) return 'disconnect-packet'
    if (this.replacing.has(client)) return 'replaced'
    // A dying hub's connections go with it, whatever else the lab was doing to them.
    if (this.endpoint.mode !== 'up') return 'hub-down'
    if (this.ending.has(client)) return 'evicted'
    return 'socket-closed'
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
      const mid = parseBag(packet.topic.slice(`devices/${client.id}/messages/devicebound/`.length))
        .systemProperties['$.mid']
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

  private onUnsubscribe(client: Client, topics: string[]): void {
    const subs = this.subscriptions.get(client.id)
    for (const t of topics) subs?.delete(t)
  }

  subscriptionsOf(deviceId: string): string[] {
    return [...(this.subscriptions.get(deviceId) ?? [])]
  }

  private subscribed(deviceId: string, filter: string): boolean {
    return this.subscriptions.get(deviceId)?.has(filter) ?? false
  }

  private send(client: Client, topic: string, body: unknown, qos: 0 | 1 = 0): void {
    const payload =
      typeof body === 'string'
        ? Buffer.from(body)
        : Buffer.isBuffer(body)
          ? body
          : Buffer.from(JSON.stringify(body))
    client.publish({ cmd: 'publish', topic, payload, qos, retain: false, dup: false }, () => {})
  }

  private onPublish(
    client: Client | null,
    packet: AedesPublishPacket | { topic: string; payload: Buffer | string; qos?: number },
    done: Done,
  ): void {
    if (!client) return done(new Error('no client'))
    // IoT Hub closes the connection of a device that publishes with QoS 2.
    if ((packet as { qos?: number }).qos === 2) {
      this.log(
        `hub ${this.name.toUpperCase()}: ${client.id} published with QoS 2; closing it as IoT Hub does`,
      )
      this.ending.add(client)
      return done(new Error('QoS 2 is not supported'))
    }
    // IoT Hub keeps no retained message: it passes the flag on as the `mqtt-retain` property.
    // Kept here, every retained publish would stay in the server's memory for good.
    const retained = 'retain' in packet && packet.retain
    if (retained) packet.retain = false
    const device = this.state.devices.get(client.id)
    const topic = packet.topic
    const payload = Buffer.isBuffer(packet.payload) ? packet.payload : Buffer.from(packet.payload)
    if (!device) return done(new Error('refused'))
    const telemetryPrefix = `devices/${client.id}/messages/events/`
    if (topic.startsWith(telemetryPrefix)) {
      const bag = topic.slice(telemetryPrefix.length)
      if (payload.length + Buffer.byteLength(bag) > limits.d2cBytes) {
        this.log(
          `hub ${this.name.toUpperCase()}: ${client.id} sent ${payload.length} bytes, over IoT Hub's ${limits.d2cBytes / 1024} KB; closing it`,
        )
        this.ending.add(client)
        return done(new Error('message too large'))
      }
      this.onTelemetry(device, bag, payload, retained, this.modelIds.get(client) ?? null)
      return done(null)
    }
    const q = parseQuery(topic)
    const rid = q.get('$rid')
    const reply: Reply = (status, body) => {
      const version = status === 204 && typeof body === 'number' ? `&$version=${body}` : ''
      this.send(
        client,
        `$iothub/twin/res/${status}/?$rid=${rid ?? ''}${version}`,
        status === 204 ? '' : body,
      )
    }
    if (topic.startsWith('$iothub/twin/GET/')) {
      done(null)
      return reply(200, { desired: device.twin.desired, reported: device.twin.reported })
    }
    if (topic.startsWith('$iothub/twin/PATCH/properties/reported/')) {
      done(null)
      return this.onReported(device, payload, reply, this.modelIds.get(client) ?? null)
    }
    const m = /^\$iothub\/methods\/res\/(\d{3})\//.exec(topic)
    if (m) {
      done(null)
      const pending = rid ? this.pendingMethods.get(rid) : undefined
      if (pending) {
        clearTimeout(pending.timer)
        this.pendingMethods.delete(rid!)
        pending.resolve(this.methodAnswer(Number(m[1]), payload))
      }
      return
    }
    // Real IoT Hub drops a device that publishes where it may not.
    this.log(
      `hub ${this.name.toUpperCase()}: ${client.id} published to forbidden topic ${topic.slice(0, 200)}`,
    )
    this.ending.add(client)
    done(new Error('topic not allowed'))
  }

  private methodAnswer(status: number, payload: Buffer): { status: number; payload: unknown } {
    if (payload.length > limits.methodPayloadBytes)
      return {
        status: 413,
        payload: {
          errorCode: 413002,
          message: `The device's method response is over ${limits.methodPayloadBytes / 1024} KB.`,
        },
      }
    if (payload.length === 0) return { status, payload: null }
    const parsed = parseJsonBounded(payload, limits.jsonDepth)
    // An answer that is not JSON, or nests too deep to pass on, is passed on as its text.
    return { status, payload: parsed.ok ? parsed.value : payload.toString('utf8') }
  }

  private onTelemetry(
    device: DeviceRecord,
    bag: string,
    payload: Buffer,
    retained: boolean,
    modelId: string | null,
  ): void {
    const { systemProperties, properties } = parseBag(bag)
    if (retained) properties['mqtt-retain'] = 'true'
    const text = payload.toString('utf8')
    const isJson = (systemProperties['$.ct'] ?? '').includes('json')
    const seq =
      properties.seq !== undefined && /^\d{1,15}$/.test(properties.seq)
        ? Number(properties.seq)
        : null
    // A body that is not JSON, or nests deeper than the lab will keep, is recorded as its text.
    const parsed = isJson ? parseJsonBounded(text, limits.jsonDepth) : null
    const messageId = systemProperties['$.mid'] ?? null
    const record = this.state.recordTelemetry(device, {
      seq,
      messageId,
      body: parsed?.ok ? parsed.value : text,
      properties,
      systemProperties,
      hub: this.name,
      arrivedAt: new Date().toISOString(),
    })
    if (this.wire?.has(device.deviceId))
      this.wire.add(device.deviceId, {
        at: Date.now(),
        kind: 'telemetry',
        hub: this.name,
        seq,
        messageId: messageId === null ? null : messageId.slice(0, 128),
        duplicate: record.duplicate,
      })
    // Judged as JSON whatever `$.ct` says: the template is about the fields. A fault in the
    // check costs the finding, never the message (recorded above) or the connection.
    contain(
      this.log,
      `hub ${this.name.toUpperCase()} conformance`,
      () =>
        this.state.checkTelemetry(
          device,
          modelId,
          () => {
            const p = parsed ?? parseJsonBounded(text, limits.jsonDepth)
            return p.ok ? p.value : undefined
          },
          systemProperties['$.sub'],
        ),
      () => undefined,
    )
  }

  private onReported(
    device: DeviceRecord,
    payload: Buffer,
    reply: Reply,
    modelId: string | null,
  ): void {
    const parsed = parseJsonBounded(payload, limits.twinDepth + 1)
    if (!parsed.ok) {
      const message =
        parsed.reason === 'depth'
          ? `reported properties may nest at most ${limits.twinDepth} levels deep`
          : 'the reported patch is not valid JSON'
      return reply(400, { errorCode: 400004, message })
    }
    try {
      reply(204, this.state.patchReported(device, parsed.value))
    } catch (e) {
      if (!(e instanceof LimitError)) throw e
      return reply(400, { errorCode: 400004, message: e.message })
    }
    if (this.wire?.has(device.deviceId))
      this.wire.add(device.deviceId, {
        at: Date.now(),
        kind: 'reported',
        hub: this.name,
        ...reportedAcks(parsed.value as Record<string, unknown>),
      })
    // Only a patch the hub took: a refused one never reached the twin.
    contain(
      this.log,
      `hub ${this.name.toUpperCase()} conformance`,
      () => this.state.checkReported(device, modelId, parsed.value as Record<string, unknown>),
      () => undefined,
    )
  }

  private pushDesired(deviceId: string, patch: Record<string, unknown>): void {
    const s = this.sessions.get(deviceId)
    if (!s || !this.subscribed(deviceId, '$iothub/twin/PATCH/properties/desired/#')) return
    this.send(
      s.client,
      `$iothub/twin/PATCH/properties/desired/?$version=${String(patch.$version)}`,
      patch,
    )
  }

  /** Invokes a direct method; answers as IoT Hub's service API does. */
  invokeMethod(
    deviceId: string,
    methodName: string,
    payload: unknown,
    timeoutSec: number,
  ): Promise<{ status: number; payload: unknown }> {
    const s = this.sessions.get(deviceId)
    if (!s || !this.subscribed(deviceId, '$iothub/methods/POST/#')) {
      return Promise.resolve({
        status: 404,
        payload: {
          errorCode: 404103,
          message:
            'The operation failed because the requested device is not online or is not subscribed to direct methods.',
        },
      })
    }
    const rid = randomBytes(8).toString('hex')
    return new Promise((resolve) => {
      const timer = safeTimeout(
        this.log,
        `hub ${this.name.toUpperCase()} method timeout`,
        timeoutSec * 1000,
        () => {
          this.pendingMethods.delete(rid)
          resolve({
            status: 504,
            payload: {
              errorCode: 504101,
              message: `Timed out waiting for the response from device after ${timeoutSec} s.`,
            },
          })
        },
      )
      this.pendingMethods.set(rid, { resolve, timer })
      // An empty body makes the SDK answer 400 without calling the handler: send null instead.
      // Method payloads are JSON on the wire, strings included.
      this.send(
        s.client,
        `$iothub/methods/POST/${methodName}/?$rid=${rid}`,
        Buffer.from(JSON.stringify(payload ?? null)),
      )
    })
  }

  private flushC2d(deviceId: string): void {
    const s = this.sessions.get(deviceId)
    const device = this.state.devices.get(deviceId)
    if (!s || !device || !this.subscribed(deviceId, `devices/${deviceId}/messages/devicebound/#`))
      return
    for (const m of device.c2d) {
      if (m.state === 'completed') continue
      // Delivered here and not yet acknowledged: a clean-session-0 client gets it again from the
      // MQTT server; a clean session gets it again from us, unless it is in flight on this one.
      if (
        m.state === 'delivered' &&
        m.deliveredTo === this.name &&
        (s.cleanInflight === null || s.cleanInflight.includes(m.messageId))
      )
        continue
      m.state = 'delivered'
      m.deliveredTo = this.name
      m.deliveryCount++
      s.cleanInflight?.push(m.messageId)
      const bag = encodeBag(m.properties, {
        '$.mid': m.messageId,
        '$.to': `/devices/${deviceId}/messages/devicebound`,
      })
      this.send(s.client, `devices/${deviceId}/messages/devicebound/${bag}`, m.body, 1)
    }
  }

  private onAck(client: Client, packet: { topic?: string } | undefined): void {
    const session = this.sessions.get(client.id)
    let mid: string | undefined
    if (packet === undefined) {
      // A clean session's PUBACK, or one for nothing we sent (ignored, as IoT Hub does).
      if (session?.client !== client || !session.cleanInflight) return
      mid = session.cleanInflight.shift()
    } else {
      const prefix = `devices/${client.id}/messages/devicebound/`
      if (!packet.topic?.startsWith(prefix)) return
      mid = parseBag(packet.topic.slice(prefix.length)).systemProperties['$.mid']
    }
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
      this.log(
        `hub ${this.name.toUpperCase()}: disconnecting ${deviceId} (it belongs elsewhere now)`,
      )
      this.ending.add(s.client)
      s.client.close()
    }
  }

  async stop(): Promise<void> {
    for (const p of this.pendingMethods.values()) {
      clearTimeout(p.timer)
      p.resolve({ status: 503, payload: { errorCode: 503001, message: 'The lab is stopping.' } })
    }
    this.pendingMethods.clear()
    this.expiries.dispose()
    await this.endpoint.stop()
    await new Promise<void>((resolve) => this.broker.close(() => resolve()))
  }
}

/**
 * The `model-id` in a hub CONNECT's user name (`{host}/{id}/?api-version=…&model-id=dtmi:…`; the
 * SDK does not encode it), or null. One past DTDL's 2048 characters is kept clipped: it names
 * no template, and says so.
 */
function modelIdOf(username: string): string | null {
  const id = parseQuery(username).get('model-id')
  if (!id) return null
  return id.length > limits.modelIdChars ? id.slice(0, 200) + '…' : id
}

const isObject = (v: unknown): v is Record<string, unknown> =>
  typeof v === 'object' && v !== null && !Array.isArray(v)

/**
 * The keys of a reported patch and the desired version (`av`) each IoT Central acknowledgement
 * in it names: `fanSpeed`, and for a component (`{ "__t": "c", … }`) `thermostat1/target` and
 * `thermostat1` itself (the lowest `av` of its acknowledgements). Bounded: at most 100 keys.
 */
function reportedAcks(patch: Record<string, unknown>): {
  keys: string[]
  acks: Record<string, number>
} {
  const keys = Object.keys(patch)
    .filter((k) => !k.startsWith('$'))
    .slice(0, 100)
  const acks: Record<string, number> = {}
  const avOf = (v: unknown) => (isObject(v) && typeof v.av === 'number' ? v.av : null)
  for (const k of keys) {
    const v = patch[k]
    const av = avOf(v)
    const key = k.slice(0, 100)
    if (av !== null) acks[key] = av
    else if (isObject(v) && v.__t === 'c') {
      let lowest: number | null = null
      for (const [name, inner] of Object.entries(v).slice(0, 100)) {
        const a = avOf(inner)
        if (a === null) continue
        acks[`${key}/${name.slice(0, 100)}`] = a
        lowest = lowest === null ? a : Math.min(lowest, a)
      }
      if (lowest !== null) acks[key] = lowest
    }
  }
  return { keys: keys.map((k) => k.slice(0, 100)), acks }
}

/** Parses a device's JSON no deeper than the lab keeps; undefined when it is not. */
export function parseJson(payload: Buffer): unknown {
  const parsed = parseJsonBounded(payload, limits.jsonDepth)
  return parsed.ok ? parsed.value : undefined
}
