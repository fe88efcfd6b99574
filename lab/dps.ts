import { Aedes, type AedesPublishPacket, type Client, type Subscription } from 'aedes'
import { randomUUID } from 'node:crypto'
import type { Duplex } from 'node:stream'
import { parseQuery } from './bag'
import { Endpoint } from './endpoint'
import { answering, contain, faultText, type Log } from './guard'
import { parseJsonBounded } from './json'
import { limits, registrationIdProblem } from './limits'
import type { Admission, Quotas } from './quotas'
import { deriveDeviceKey, verifySasToken } from './sas'
import { LimitError, type LabState } from './state'
import type { HubName } from './types'
import type { WireLog } from './wire-log'

export type DpsMode = 'up' | 'throttled' | 'stopped'

interface Caller {
  idScope: string
  registrationId: string
  /** Why DPS refuses this caller, if it does; answered on the first request. */
  refusal: { status: 400 | 401 | 404; errorCode: number; message: string } | null
  via: 'tls' | 'ws'
  /** Chaos: this connection is closed after its CONNACK, before its SUBACK. */
  drop: boolean
}

interface Operation {
  operationId: string
  registrationId: string
  payload: unknown
  createdAt: string
}

type Done = (e?: Error | null) => void

/** What DPS answers when no linked hub can take a device (the lab's code; see CONTROL_API.md). */
export const noHubErrorCode = 503201

/**
 * The Device Provisioning Service for one enrollment group. Credentials are checked when the
 * device asks to register, so it gets DPS's own status codes (401, 404) rather than a bare
 * CONNACK, and the SDK classifies them as the real service would. Every callback the MQTT
 * server makes into this class is contained: a fault closes that client only.
 */
export class Dps {
  readonly endpoint: Endpoint
  mode: DpsMode = 'up'
  throttleRetryAfterSec = 5
  /** Chaos: how many of the next registration connections are closed right after CONNACK. */
  dropAfterConnack = 0
  private readonly broker: Aedes
  private readonly callers = new WeakMap<Client, Caller>()
  private readonly via = new WeakMap<Duplex, 'tls' | 'ws'>()
  private readonly operations = new Map<string, Operation>()
  /** Each device's one pending operation, so a new registration finds the old one at once. */
  private readonly operationOf = new Map<string, string>()
  /**
   * The model id (`iotcModelId` / `modelId`) each device's latest accepted registration named,
   * or null: one entry per device that ever registered, as the lab's device records are.
   */
  private readonly payloadModelIds = new Map<string, string | null>()

  constructor(
    private readonly state: LabState,
    private readonly config: {
      idScope: string
      groupKeys: () => string[]
      retryAfterSec: () => number
      /** The host DPS hands out for a hub, by transport the device came in on. */
      hubHost: (hub: HubName, via: 'tls' | 'ws') => string
      quotas: Quotas
      /** What watched devices do on the wire (`lizard exam`); unwatched ones cost a Map lookup. */
      wire?: WireLog
    },
    tls: { key: string; cert: string },
    private readonly log: Log,
  ) {
    this.broker = new Aedes({
      maxClientsIdLength: limits.idLength,
      authenticate: (client, username, password, done) =>
        answering(
          log,
          'DPS authenticate',
          done,
          (answer) => this.authenticate(client, username, password, answer),
          (answer) => answer(Object.assign(new Error('server fault'), { returnCode: 3 }), false),
        ),
      authorizePublish: (client, packet, done) =>
        answering(
          log,
          'DPS publish',
          done,
          (answer) => this.onPublish(client, packet, answer),
          (answer) => answer(new Error('server fault')),
        ),
      authorizeSubscribe: (client, sub, done) =>
        answering(
          log,
          'DPS subscribe',
          done,
          (answer) => this.onSubscribe(client, sub, answer),
          (answer) => answer(new Error('server fault'), null),
        ),
      authorizeForward: (_client, packet) =>
        contain(
          log,
          'DPS forward',
          () => (packet.topic.startsWith('$dps/registrations/res/') ? packet : null),
          () => null,
        ),
    })
    // The broker's own errors (its persistence) would throw with no listener: log them instead.
    ;(this.broker as unknown as NodeJS.EventEmitter).on('error', (e: unknown) =>
      log(`DPS: broker error (${faultText(e)})`),
    )
    this.endpoint = new Endpoint(
      'DPS',
      tls,
      (stream, via) => {
        this.via.set(stream, via)
        this.broker.handle(stream)
      },
      log,
    )
  }

  async start(port: number): Promise<number> {
    await this.broker.listen()
    return this.endpoint.listen(port)
  }

  private authenticate(
    client: Client,
    username: string | undefined,
    password: Buffer | undefined,
    answer: (e: (Error & { returnCode: number }) | null, ok: boolean | null) => void,
  ): void {
    const caller = this.identify(client, username, password)
    // A caller whose credentials fail is let in only to hear why (401, 404) when nobody holds
    // its id: connecting would otherwise take over, and so cut off, the registration of the
    // device that does hold it. Real DPS refuses such a CONNECT outright.
    if (!caller || (caller.refusal && this.holdsConnection(client.id)))
      return answer(Object.assign(new Error('bad credentials'), { returnCode: 5 }), false)
    if (this.dropAfterConnack > 0 && !caller.refusal) {
      this.dropAfterConnack--
      caller.drop = true
    }
    this.callers.set(client, caller)
    answer(null, true)
  }

  /** Whether a connection with this id is open (aedes's `clients` map, not in its types). */
  private holdsConnection(id: string): boolean {
    return Object.hasOwn((this.broker as unknown as { clients: object }).clients, id)
  }

  private onSubscribe(
    client: Client | null,
    sub: Subscription,
    answer: (e: Error | null, sub: Subscription | null) => void,
  ): void {
    if (client && this.callers.get(client)?.drop) {
      // What a second registration of the same id does to the first: its connection goes
      // between CONNACK and SUBACK.
      this.log(`DPS: dropping ${client.id} after CONNACK, before SUBACK (drop-after-connack)`)
      client.close()
      return answer(new Error('connection taken over'), null)
    }
    answer(null, sub.topic === '$dps/registrations/res/#' ? sub : null)
  }

  async setMode(mode: DpsMode, retryAfterSec?: number): Promise<void> {
    if (retryAfterSec !== undefined) this.throttleRetryAfterSec = retryAfterSec
    this.mode = mode
    // "Stopped" is a DPS that no longer answers at all: connections hang until the device gives up.
    if (mode === 'stopped') await this.endpoint.blackhole()
    else await this.endpoint.restore()
  }

  private identify(
    client: Client,
    username: string | undefined,
    password: Buffer | undefined,
  ): Caller | null {
    const m = /^([^/]+)\/registrations\/([^/]+)\//.exec(username ?? '')
    if (!m || m[2] !== client.id || !password) return null
    const [, idScope, registrationId] = m as unknown as [string, string, string]
    const via = this.via.get(client.conn as Duplex) ?? 'tls'
    const caller = (refusal: Caller['refusal']): Caller => ({
      idScope,
      registrationId,
      via,
      refusal,
      drop: false,
    })
    if (idScope !== this.config.idScope) {
      return caller({
        status: 404,
        errorCode: 404201,
        message: `No enrollment found for id scope ${idScope}.`,
      })
    }
    const idProblem = registrationIdProblem(registrationId)
    if (idProblem) {
      return caller({
        status: 400,
        errorCode: 400004,
        message: `The registration id "${registrationId.slice(0, 40)}" is not valid: it ${idProblem}.`,
      })
    }
    const keys = this.config.groupKeys().map((k) => deriveDeviceKey(k, registrationId))
    const check = verifySasToken(password.toString('utf8'), keys, [
      `${idScope}/registrations/${registrationId}`,
    ])
    return caller(
      check.ok
        ? null
        : {
            status: 401,
            errorCode: 401002,
            message: `The device's credentials were rejected (token ${check.reason}).`,
          },
    )
  }

  private reply(
    client: Client,
    status: number,
    rid: string,
    body: unknown,
    retryAfter?: number,
  ): void {
    const topic =
      `$dps/registrations/res/${status}/?$rid=${rid}` +
      (retryAfter !== undefined ? `&retry-after=${retryAfter}` : '')
    // Always valid JSON: the SDK JSON.parses replies on a later tick, and a throw there kills the device.
    client.publish(
      {
        cmd: 'publish',
        topic,
        payload: Buffer.from(JSON.stringify(body)),
        qos: 0,
        retain: false,
        dup: false,
      },
      () => {},
    )
  }

  private error(
    client: Client,
    rid: string,
    status: number,
    errorCode: number,
    message: string,
    retryAfter?: number,
  ): void {
    this.reply(
      client,
      status,
      rid,
      { errorCode, trackingId: randomUUID(), message, timestampUtc: new Date().toISOString() },
      retryAfter,
    )
  }

  private onPublish(
    client: Client | null,
    packet: AedesPublishPacket | { topic: string; payload: Buffer | string; qos?: number },
    done: Done,
  ): void {
    // DPS keeps no retained message; kept by the server, each would stay in memory for good.
    if ('retain' in packet) packet.retain = false
    const caller = client && this.callers.get(client)
    if (!client || !caller) return done(new Error('unknown client'))
    if ((packet as { qos?: number }).qos === 2) {
      this.log(`DPS: ${client.id} published with QoS 2; closing it`)
      return done(new Error('QoS 2 is not supported'))
    }
    const topic = packet.topic
    const isRegister = topic.startsWith('$dps/registrations/PUT/iotdps-register/')
    const isPoll = topic.startsWith('$dps/registrations/GET/iotdps-get-operationstatus/')
    if (!isRegister && !isPoll) return done(new Error('topic not allowed'))
    done(null)
    const q = parseQuery(topic)
    const rid = (q.get('$rid') ?? '').slice(0, 100)
    const payload = Buffer.isBuffer(packet.payload) ? packet.payload : Buffer.from(packet.payload)
    setImmediate(() =>
      contain(
        this.log,
        'DPS request',
        () => {
          if (this.mode === 'stopped') return
          if (caller.refusal) {
            if (isRegister) this.noteRegister(caller, payload, 'refused')
            else this.notePoll(caller, 'answered')
            return this.error(
              client,
              rid,
              caller.refusal.status,
              caller.refusal.errorCode,
              caller.refusal.message,
            )
          }
          if (this.mode === 'throttled') {
            const counts = this.config.quotas.counts
            ;(isRegister ? counts.registrations : counts.polls).throttle()
            if (isRegister)
              this.noteRegister(caller, payload, 'throttled', this.throttleRetryAfterSec)
            else this.notePoll(caller, 'throttled')
            return this.error(
              client,
              rid,
              429,
              429001,
              'Operations are being throttled for this tenant.',
              this.throttleRetryAfterSec,
            )
          }
          if (isRegister) {
            const outcome = this.onRegister(client, caller, rid, payload)
            this.noteRegister(caller, payload, outcome.outcome, outcome.retryAfterSec)
          } else {
            const throttled = this.onPoll(
              client,
              caller,
              rid,
              (q.get('operationId') ?? '').slice(0, 200),
            )
            this.notePoll(caller, throttled ? 'throttled' : 'answered')
          }
        },
        () =>
          this.error(
            client,
            rid,
            500,
            500000,
            'The lab met a fault handling this request; it has been logged.',
          ),
      ),
    )
  }

  /** A registration request of a watched device, with the model id its payload names. */
  private noteRegister(
    caller: Caller,
    payload: Buffer,
    outcome: 'accepted' | 'throttled' | 'refused',
    retryAfterSec?: number,
  ): void {
    const id = caller.registrationId
    if (!this.config.wire?.has(id)) return
    this.config.wire.add(id, {
      at: Date.now(),
      kind: 'dps-register',
      outcome,
      ...(retryAfterSec !== undefined ? { retryAfterSec } : {}),
      modelId: payloadModelId(payload),
    })
  }

  private notePoll(caller: Caller, outcome: 'answered' | 'throttled'): void {
    const id = caller.registrationId
    if (!this.config.wire?.has(id)) return
    this.config.wire.add(id, { at: Date.now(), kind: 'dps-poll', outcome })
  }

  /** Answers a registration request; what the answer was, for the wire log. */
  private onRegister(
    client: Client,
    caller: Caller,
    rid: string,
    payload: Buffer,
  ): { outcome: 'accepted' | 'throttled' | 'refused'; retryAfterSec?: number } {
    const refused = { outcome: 'refused' as const }
    if (payload.length > limits.dpsRequestBytes) {
      this.error(
        client,
        rid,
        400,
        400004,
        `The registration request is over ${limits.dpsRequestBytes / 1024} KB.`,
      )
      return refused
    }
    const parsed = parseJsonBounded(payload, limits.dpsPayloadDepth + 1)
    if (!parsed.ok) {
      this.error(
        client,
        rid,
        400,
        400004,
        parsed.reason === 'depth'
          ? `The registration payload nests too deep (at most ${limits.dpsPayloadDepth} levels).`
          : 'The registration request body is not valid JSON.',
      )
      return refused
    }
    const body = parsed.value as { registrationId?: unknown; payload?: unknown } | null
    if (!body || typeof body !== 'object' || body.registrationId !== caller.registrationId) {
      this.error(
        client,
        rid,
        400,
        400004,
        'The registration request body must be JSON naming the same registrationId as the token.',
      )
      return refused
    }
    const admitted = this.config.quotas.admitRegistration()
    if (!admitted.ok) {
      this.throttled(client, rid, admitted)
      return { outcome: 'throttled', retryAfterSec: admitted.retryAfterSec }
    }
    this.payloadModelIds.set(caller.registrationId, modelIdIn(body.payload))
    const op: Operation = {
      operationId: `4.${randomUUID().replace(/-/g, '').slice(0, 16)}.${randomUUID()}`,
      registrationId: caller.registrationId,
      payload: body.payload,
      createdAt: new Date().toISOString(),
    }
    // A device that registers again has given up on its earlier operation: keeping one per
    // device bounds the map however often devices abandon a poll.
    const earlier = this.operationOf.get(op.registrationId)
    if (earlier !== undefined) this.operations.delete(earlier)
    this.operations.set(op.operationId, op)
    this.operationOf.set(op.registrationId, op.operationId)
    this.reply(
      client,
      202,
      rid,
      { operationId: op.operationId, status: 'assigning' },
      this.config.retryAfterSec(),
    )
    return { outcome: 'accepted' }
  }

  /** DPS's 429: the SDK waits `retry-after` and asks again, the same request, forever. */
  private throttled(client: Client, rid: string, a: Admission & { ok: false }): void {
    this.error(
      client,
      rid,
      429,
      429001,
      `Operations are being throttled for this tenant: ${a.why}. Retry after ${a.retryAfterSec} s.`,
      a.retryAfterSec,
    )
  }

  /** Answers a poll; true when it was throttled. */
  private onPoll(client: Client, caller: Caller, rid: string, operationId: string): boolean {
    // A throttled poll keeps its operation: the SDK polls the same one again after retry-after.
    const admitted = this.config.quotas.admitPoll(caller.registrationId)
    if (!admitted.ok) {
      this.throttled(client, rid, admitted)
      return true
    }
    this.answerPoll(client, caller, rid, operationId)
    return false
  }

  private answerPoll(client: Client, caller: Caller, rid: string, operationId: string): void {
    const op = this.operations.get(operationId)
    if (!op || op.registrationId !== caller.registrationId) {
      return this.error(client, rid, 404, 404202, `Operation ${operationId} not found.`)
    }
    this.operations.delete(operationId)
    this.operationOf.delete(op.registrationId)
    let assignment: ReturnType<LabState['register']>
    try {
      assignment = this.state.register(op.registrationId)
    } catch (e) {
      if (!(e instanceof LimitError)) throw e
      return this.error(client, rid, 400, 400004, e.message)
    }
    const { device, hub, substatus } = assignment
    const now = new Date().toISOString()
    const common = {
      registrationId: op.registrationId,
      createdDateTimeUtc: op.createdAt,
      lastUpdatedDateTimeUtc: now,
      etag: `"${randomUUID()}"`,
    }
    if (hub === null || substatus === null) {
      // No linked hub can take the device: the operation completes as failed, the way DPS
      // reports an allocation it could not make; the SDK raises ProvisioningRegistrationFailedError.
      this.log(`DPS: no hub available for ${device.deviceId}; registration failed`)
      return this.reply(client, 200, rid, {
        operationId,
        status: 'failed',
        registrationState: {
          ...common,
          status: 'failed',
          errorCode: noHubErrorCode,
          errorMessage:
            'No linked IoT hub is available to take this device: every hub is unavailable. Retry later.',
        },
      })
    }
    this.reply(client, 200, rid, {
      operationId,
      status: 'assigned',
      registrationState: {
        ...common,
        assignedHub: this.config.hubHost(hub, caller.via),
        deviceId: device.deviceId,
        status: 'assigned',
        substatus,
        ...(op.payload !== undefined ? { payload: op.payload } : {}),
      },
    })
  }

  /** What the device's latest accepted registration named as its model (undefined: none seen). */
  payloadModelId(registrationId: string): string | null | undefined {
    return this.payloadModelIds.get(registrationId)
  }

  async stop(): Promise<void> {
    await this.endpoint.stop()
    await new Promise<void>((resolve) => this.broker.close(() => resolve()))
  }
}

/**
 * The model id a registration's payload names: `iotcModelId` (IoT Central's HA samples) or
 * `modelId` (newer IoT Central docs); null when it names none. Read only for watched devices.
 */
function payloadModelId(request: Buffer): string | null {
  if (request.length > limits.dpsRequestBytes) return null
  const parsed = parseJsonBounded(request, limits.dpsPayloadDepth + 1)
  if (!parsed.ok) return null
  return modelIdIn((parsed.value as { payload?: unknown } | null)?.payload)
}

function modelIdIn(payload: unknown): string | null {
  if (!payload || typeof payload !== 'object') return null
  const p = payload as { iotcModelId?: unknown; modelId?: unknown }
  const id = typeof p.iotcModelId === 'string' ? p.iotcModelId : p.modelId
  return typeof id === 'string' && id ? id.slice(0, 256) : null
}
