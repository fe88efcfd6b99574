import { Aedes, type AedesPublishPacket, type Client } from 'aedes'
import { randomUUID } from 'node:crypto'
import type { Duplex } from 'node:stream'
import { parseQuery } from './bag'
import { Endpoint } from './endpoint'
import { parseJson } from './hub'
import { deriveDeviceKey, verifySasToken } from './sas'
import type { LabState } from './state'
import type { HubName } from './types'

export type DpsMode = 'up' | 'throttled' | 'stopped'

interface Caller {
  idScope: string
  registrationId: string
  /** Why the token does not open this scope, if it does not; answered on the first request. */
  refusal: { status: 401 | 404; errorCode: number; message: string } | null
  via: 'tls' | 'ws'
}

interface Operation {
  operationId: string
  registrationId: string
  payload: unknown
  createdAt: string
}

/**
 * The Device Provisioning Service for one enrollment group. Credentials are checked when the
 * device asks to register, so it gets DPS's own status codes (401, 404) rather than a bare
 * CONNACK, and the SDK classifies them as the real service would.
 */
export class Dps {
  readonly endpoint: Endpoint
  mode: DpsMode = 'up'
  throttleRetryAfterSec = 5
  private readonly broker: Aedes
  private readonly callers = new WeakMap<Client, Caller>()
  private readonly via = new WeakMap<Duplex, 'tls' | 'ws'>()
  private readonly operations = new Map<string, Operation>()

  constructor(
    private readonly state: LabState,
    private readonly config: {
      idScope: string
      groupKeys: () => string[]
      retryAfterSec: () => number
      /** The host DPS hands out for a hub, by transport the device came in on. */
      hubHost: (hub: HubName, via: 'tls' | 'ws') => string
    },
    tls: { key: string; cert: string },
    log: (line: string) => void,
  ) {
    this.broker = new Aedes({
      maxClientsIdLength: 128,
      authenticate: (client, username, password, done) => {
        const caller = this.identify(client, username, password)
        if (!caller) return done(Object.assign(new Error('bad credentials'), { returnCode: 5 }), false)
        this.callers.set(client, caller)
        done(null, true)
      },
      authorizePublish: (client, packet, done) => this.onPublish(client, packet, done),
      authorizeSubscribe: (_client, sub, done) => done(null, sub.topic === '$dps/registrations/res/#' ? sub : null),
      authorizeForward: (_client, packet) => (packet.topic.startsWith('$dps/registrations/res/') ? packet : null),
    })
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

  async setMode(mode: DpsMode, retryAfterSec?: number): Promise<void> {
    if (retryAfterSec !== undefined) this.throttleRetryAfterSec = retryAfterSec
    this.mode = mode
    // "Stopped" is a DPS that no longer answers at all: connections hang until the device gives up.
    if (mode === 'stopped') await this.endpoint.blackhole()
    else await this.endpoint.restore()
  }

  private identify(client: Client, username: string | undefined, password: Buffer | undefined): Caller | null {
    const m = /^([^/]+)\/registrations\/([^/]+)\//.exec(username ?? '')
    if (!m || m[2] !== client.id || !password) return null
    const [, idScope, registrationId] = m as unknown as [string, string, string]
    const via = this.via.get(client.conn as Duplex) ?? 'tls'
    if (idScope !== this.config.idScope) {
      return { idScope, registrationId, via, refusal: { status: 404, errorCode: 404201, message: `No enrollment found for id scope ${idScope}.` } }
    }
    const keys = this.config.groupKeys().map((k) => deriveDeviceKey(k, registrationId))
    const check = verifySasToken(password.toString('utf8'), keys, [`${idScope}/registrations/${registrationId}`])
    const refusal = check.ok
      ? null
      : { status: 401 as const, errorCode: 401002, message: `The device's credentials were rejected (token ${check.reason}).` }
    return { idScope, registrationId, via, refusal }
  }

  private reply(client: Client, status: number, rid: string, body: unknown, retryAfter?: number): void {
    const topic = `$dps/registrations/res/${status}/?$rid=${rid}` + (retryAfter !== undefined ? `&retry-after=${retryAfter}` : '')
    // Always valid JSON: the SDK JSON.parses replies on a later tick, and a throw there kills the device.
    client.publish({ cmd: 'publish', topic, payload: Buffer.from(JSON.stringify(body)), qos: 0, retain: false, dup: false }, () => {})
  }

  private error(client: Client, rid: string, status: number, errorCode: number, message: string, retryAfter?: number): void {
    this.reply(client, status, rid, { errorCode, trackingId: randomUUID(), message, timestampUtc: new Date().toISOString() }, retryAfter)
  }

  private onPublish(client: Client | null, packet: AedesPublishPacket | { topic: string; payload: Buffer | string }, done: (e?: Error | null) => void): void {
    const caller = client && this.callers.get(client)
    if (!client || !caller) return done(new Error('unknown client'))
    const topic = packet.topic
    const isRegister = topic.startsWith('$dps/registrations/PUT/iotdps-register/')
    const isPoll = topic.startsWith('$dps/registrations/GET/iotdps-get-operationstatus/')
    if (!isRegister && !isPoll) return done(new Error('topic not allowed'))
    done(null)
    const q = parseQuery(topic)
    const rid = q.get('$rid') ?? ''
    setImmediate(() => {
      if (this.mode === 'stopped') return
      if (caller.refusal) return this.error(client, rid, caller.refusal.status, caller.refusal.errorCode, caller.refusal.message)
      if (this.mode === 'throttled') {
        return this.error(client, rid, 429, 429001, 'Operations are being throttled for this tenant.', this.throttleRetryAfterSec)
      }
      const payload = Buffer.isBuffer(packet.payload) ? packet.payload : Buffer.from(packet.payload)
      if (isRegister) this.onRegister(client, caller, rid, payload)
      else this.onPoll(client, caller, rid, q.get('operationId') ?? '')
    })
  }

  private onRegister(client: Client, caller: Caller, rid: string, payload: Buffer): void {
    const body = parseJson(payload) as { registrationId?: unknown; payload?: unknown } | undefined
    if (!body || typeof body !== 'object' || body.registrationId !== caller.registrationId) {
      return this.error(client, rid, 400, 400004, 'The registration request body must be JSON naming the same registrationId as the token.')
    }
    const op: Operation = { operationId: `4.${randomUUID().replace(/-/g, '').slice(0, 16)}.${randomUUID()}`, registrationId: caller.registrationId, payload: body.payload, createdAt: new Date().toISOString() }
    // A device that registers again has given up on its earlier operation: keeping one per
    // device bounds the map however often devices abandon a poll.
    for (const [id, earlier] of this.operations) if (earlier.registrationId === op.registrationId) this.operations.delete(id)
    this.operations.set(op.operationId, op)
    this.reply(client, 202, rid, { operationId: op.operationId, status: 'assigning' }, this.config.retryAfterSec())
  }

  private onPoll(client: Client, caller: Caller, rid: string, operationId: string): void {
    const op = this.operations.get(operationId)
    if (!op || op.registrationId !== caller.registrationId) {
      return this.error(client, rid, 404, 404202, `Operation ${operationId} not found.`)
    }
    this.operations.delete(operationId)
    const { device, firstTime, moved } = this.state.register(op.registrationId)
    const now = new Date().toISOString()
    this.reply(client, 200, rid, {
      operationId,
      status: 'assigned',
      registrationState: {
        registrationId: op.registrationId,
        createdDateTimeUtc: op.createdAt,
        assignedHub: this.config.hubHost(device.assignedHub, caller.via),
        deviceId: device.deviceId,
        status: 'assigned',
        substatus: firstTime || !moved ? 'initialAssignment' : 'deviceDataMigrated',
        lastUpdatedDateTimeUtc: now,
        etag: `"${randomUUID()}"`,
        ...(op.payload !== undefined ? { payload: op.payload } : {}),
      },
    })
  }

  async stop(): Promise<void> {
    await this.endpoint.stop()
    await new Promise<void>((resolve) => this.broker.close(() => resolve()))
  }
}
