import { Aedes } from 'aedes'
import { mkdtempSync, rmSync } from 'node:fs'
import { type AddressInfo } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { type Server, createServer } from 'node:tls'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { ensureCerts } from '../../lab/certs'
import { waitFor } from '../support/lab'
import { newSession, untilState } from './fixtures/engine'

// A broken "DPS + hub" that sends what the lab never would: unreadable JSON, topics without a
// method name or request id, undecodable properties. The SDK throws on these in a later tick,
// where nothing could catch it; the engine must shrug them off and stay connected.

const deviceId = 'eng-hostile'
let dir: string
let broker: Aedes
let server: Server
let host: string
const twinGets: string[] = []
/** What DPS answers a registration, when a test wants it to misbehave: [topic, body]. */
let dpsAnswer: ((rid: string) => [string, string]) | null = null
let registrations = 0

const publish = (topic: string, payload: string) =>
  new Promise<void>((resolve) =>
    broker.publish(
      { cmd: 'publish', topic, payload: Buffer.from(payload), qos: 0, retain: false, dup: false },
      () => resolve(),
    ),
  )

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'hostile-'))
  const certs = ensureCerts(dir)
  broker = new Aedes({
    authenticate: (_client, _user, _password, done) => done(null, true),
    authorizePublish: (_client, packet, done) => {
      done(null)
      const rid = /\$rid=([^&]+)/.exec(packet.topic)?.[1] ?? ''
      if (packet.topic.startsWith('$dps/registrations/PUT/')) registrations++
      if (packet.topic.startsWith('$dps/registrations/PUT/') && dpsAnswer) {
        void publish(...dpsAnswer(rid))
      } else if (packet.topic.startsWith('$dps/registrations/PUT/')) {
        const state = {
          registrationId: deviceId,
          deviceId,
          assignedHub: host,
          status: 'assigned',
          substatus: 'initialAssignment',
        }
        void publish(
          `$dps/registrations/res/200/?$rid=${rid}`,
          JSON.stringify({ operationId: 'op', status: 'assigned', registrationState: state }),
        )
      } else if (packet.topic.startsWith('$iothub/twin/GET/')) {
        twinGets.push(rid)
        void publish(`$iothub/twin/res/200/?$rid=${rid}`, '<html>not a twin</html>')
      } else if (packet.topic.startsWith('$iothub/twin/PATCH/properties/reported/')) {
        void publish(`$iothub/twin/res/204/?$rid=${rid}&$version=2`, '')
      }
    },
  })
  await broker.listen()
  server = createServer({ key: certs.key, cert: certs.cert }, (socket) => broker.handle(socket))
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()))
  host = `127.0.0.1:${(server.address() as AddressInfo).port}`
})
afterAll(async () => {
  await new Promise<void>((resolve) => server?.close(() => resolve()))
  await new Promise<void>((resolve) => broker?.close(() => resolve()))
  rmSync(dir, { recursive: true, force: true })
})

/** Where the engine finds this hostile service, as it would a lab. */
const hostileFacts = () => ({
  idScope: '0ne00HOSTILE',
  groupPrimaryKey: Buffer.alloc(64, 3).toString('base64'),
  dpsHost: host,
  ca: ensureCerts(dir).ca,
  controlUrl: '',
  hubs: { a: { host }, b: { host: 'x' } },
})

describe('a hostile hub', () => {
  it('cannot crash the engine with malformed traffic', async () => {
    const { session, dispose } = newSession(hostileFacts(), deviceId, {
      periods: { telemetryMs: 100, reportedMs: 100 },
    })
    try {
      await session.connect()
      await untilState(session, 'connected')
      await waitFor('the twin GET answered with garbage', () => twinGets.length > 0)

      await publish('$iothub/twin/PATCH/properties/desired/?$version=2', '{{{ not json')
      await publish('$iothub/methods/POST//?$rid=1', '{}')
      await publish('$iothub/methods/POST/echo/', '{}')
      await publish('$iothub/methods/POST/echo/?$rid=2', 'not json either')
      await publish(
        `devices/${deviceId}/messages/devicebound/method-name=%E0%A4%A`,
        '{"time":"07:30"}',
      )
      await publish(`devices/${deviceId}/messages/devicebound/`, '')

      await waitFor('both survivable messages handled', () => session.inbound().length >= 3)
      expect(session.inbound().map((e) => [e.kind, e.name, e.response.status])).toEqual([
        ['method', 'echo', 400],
        ['c2d', '(no method-name)', 400],
        ['c2d', '(no method-name)', 400],
      ])
      expect(session.snapshot().lastError).toMatchObject({ code: 'protocol' })
      await waitFor(
        'telemetry still acknowledged',
        () => session.snapshot().counters.acknowledged > 5,
      )
      expect(session.snapshot().state.kind).toBe('connected')
    } finally {
      await dispose()
    }
  })

  it('bounds what it keeps of deep or sprawling payloads: the window can always be sent', async () => {
    const { session, dispose } = newSession(hostileFacts(), deviceId, {
      periods: { telemetryMs: 100, reportedMs: 1000 },
    })
    try {
      await session.connect()
      await untilState(session, 'connected')
      const deep = '{"a":'.repeat(5000) + '1' + '}'.repeat(5000)
      const before = session.inbound().length
      await publish('$iothub/twin/PATCH/properties/desired/?$version=3', `{"fanSpeed":${deep}}`)
      await publish('$iothub/methods/POST/echo/?$rid=7', deep)
      await publish(`devices/${deviceId}/messages/devicebound/method-name=setAlarm`, deep)
      const many = Object.fromEntries(Array.from({ length: 5000 }, (_, i) => [`k${i}`, i]))
      await publish('$iothub/twin/PATCH/properties/desired/?$version=4', JSON.stringify(many))
      // And a hundred new names at a time, patch after patch.
      for (let v = 5; v < 10; v++) {
        const more = Object.fromEntries(Array.from({ length: 100 }, (_, i) => [`m${v}-${i}`, i]))
        await publish(`$iothub/twin/PATCH/properties/desired/?$version=${v}`, JSON.stringify(more))
      }
      await waitFor('the deep ones answered', () => session.inbound().length >= before + 3)
      // Everything the window gets still serializes (a value 5,000 deep once stopped every update).
      expect(() => JSON.stringify(session.snapshot())).not.toThrow()
      expect(() => JSON.stringify(session.inbound())).not.toThrow()
      const fan = session.inbound().find((e) => e.kind === 'desired' && e.name === 'fanSpeed')!
      expect(fan.response.status).toBe(400)
      const method = session.inbound().find((e) => e.kind === 'method' && e.name === 'echo')!
      expect(method.response.status).toBe(400)
      // A hub that sends thousands of properties at once: the first hundred are handled.
      await waitFor('the later patches handled', () =>
        /not handled/.test(session.snapshot().lastError?.message ?? ''),
      )
      expect(Object.keys(session.snapshot().desired).length).toBeLessThanOrEqual(101)
      expect(session.inbound().filter((e) => e.kind === 'desired').length).toBeLessThanOrEqual(101)
      expect(session.snapshot().state.kind).toBe('connected')
    } finally {
      await dispose()
    }
  })

  it('a DPS naming a hub that is no host name, or asking to wait for weeks, is a stated failure, not a crash or a spin', async () => {
    const assigned = (assignedHub: unknown) => (rid: string) =>
      [
        `$dps/registrations/res/200/?$rid=${rid}`,
        JSON.stringify({
          operationId: 'op',
          status: 'assigned',
          registrationState: {
            registrationId: deviceId,
            deviceId,
            assignedHub,
            status: 'assigned',
          },
        }),
      ] as [string, string]
    try {
      for (const hub of [
        '[::1',
        '127.0.0.1:99999',
        { a: 1 },
        'a b',
        'h'.repeat(300),
        'x/evil?y=1',
      ]) {
        dpsAnswer = assigned(hub)
        const { session, dispose } = newSession(hostileFacts(), deviceId)
        try {
          const from = session.timeline().length
          await session.connect()
          await waitFor(`a refusal of ${JSON.stringify(hub).slice(0, 20)}`, () =>
            session
              .timeline()
              .slice(from)
              .some((e) => /not a host name/.test(e.reason)),
          )
        } finally {
          await dispose()
        }
      }
      // retry-after of five weeks: the wait is capped (Node would fire an overflowing timer at once).
      dpsAnswer = (rid) => [`$dps/registrations/res/429/?$rid=${rid}&retry-after=3000000`, '{}']
      const { session, dispose } = newSession(hostileFacts(), deviceId)
      try {
        await session.connect()
        await untilState(session, 'waiting')
        const wait = session.snapshot().state as { until: number }
        expect(wait.until - Date.now()).toBeLessThanOrEqual(600_000)
        expect(wait.until - Date.now()).toBeGreaterThan(60_000)
      } finally {
        await dispose()
      }
    } finally {
      dpsAnswer = null
    }
  })

  it('an attempt given up on (DPS throttling) stops registering: the SDK does not carry on behind it', async () => {
    dpsAnswer = (rid) => [`$dps/registrations/res/429/?$rid=${rid}&retry-after=2`, '{}']
    const { session, dispose } = newSession(hostileFacts(), deviceId)
    let connects = 0
    const count = () => connects++
    broker.on('client', count)
    try {
      const start = registrations
      await session.connect()
      await waitFor('four throttled attempts', () => registrations - start >= 4, 30_000)
      // Each attempt is one connection: the SDK reconnecting behind an abandoned one would
      // show as connections that never register (and take the engine's own one over).
      expect(connects).toBeLessThanOrEqual(registrations - start + 1)
    } finally {
      await dispose()
      dpsAnswer = null
    }
    const atClose = [registrations, connects]
    // The SDK's own retry honours retry-after (2 s): give it two chances to show itself.
    await new Promise((r) => setTimeout(r, 4500))
    broker.off('client', count)
    expect([registrations, connects]).toEqual(atClose)
  }, 60_000)
})
