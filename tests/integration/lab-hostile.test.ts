import type { Client } from 'azure-iot-device'
import { connect as tcpConnect } from 'node:net'
import { connect as tlsConnect } from 'node:tls'
import mqtt from 'mqtt'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import {
  api,
  closed,
  connacked,
  rawDpsClient,
  rawHubClient,
  hubToken,
  rawRegister,
  testLab,
  waitFor,
} from '../support/lab'
import { connectHub, jsonMessage, provisionIn } from '../support/sdk-device'

// Every byte that reaches the lab is hostile: deep JSON, oversized messages, bad ids and QoS 2
// are answered as IoT Hub and DPS answer them, and nothing ends the process.

type Lab = Awaited<ReturnType<typeof testLab>>
let lab: Lab
const logs: string[] = []

beforeAll(async () => {
  lab = await testLab({ log: (line) => logs.push(line) })
})
afterAll(async () => {
  await lab.stop()
})

const deep = (n: number) => '{"a":'.repeat(n) + '1' + '}'.repeat(n)
const nested = (n: number): unknown => (n === 0 ? 1 : { a: nested(n - 1) })

const registered = async (deviceId: string) => (await provisionIn(lab, deviceId)).assignedHub

/** A raw device on its hub, subscribed to twin replies; `twin` sends a request and awaits its reply. */
async function twinDevice(deviceId: string) {
  const host = await registered(deviceId)
  const c = rawHubClient(lab, host, deviceId)
  await connacked(c)
  await c.subscribeAsync('$iothub/twin/res/#', { qos: 0 })
  let rid = 0
  const twin = (topic: string, body: string) =>
    new Promise<{ status: number; body: string }>((resolve, reject) => {
      const id = String(++rid)
      const onMessage = (t: string, p: Buffer) => {
        const m = /^\$iothub\/twin\/res\/(\d+)\/\?\$rid=([^&]+)/.exec(t)
        if (m?.[2] !== id) return
        c.off('message', onMessage)
        resolve({ status: Number(m[1]), body: p.toString() })
      }
      c.on('message', onMessage)
      c.once('close', () => reject(new Error('the hub closed the connection')))
      c.publish(`${topic}?$rid=${id}`, body, { qos: 0 })
    })
  return {
    c,
    report: (body: string) => twin('$iothub/twin/PATCH/properties/reported/', body),
    get: () => twin('$iothub/twin/GET/', ' '),
  }
}

describe('JSON nested thousands deep', () => {
  it('in a DPS registration payload is refused with 400, and DPS keeps serving', async () => {
    const c = rawDpsClient(lab, 'deep-payload')
    await connacked(c)
    const r = await rawRegister(c, `{"registrationId":"deep-payload","payload":${deep(5000)}}`)
    expect(r.status).toBe(400)
    expect(String(r.body.message)).toMatch(/deep/)
    c.end(true)
    expect(await registered('after-deep-payload')).toMatch(/^127\.0\.0\.1:/)
  })

  it('in a reported patch is refused with a twin error, and the twin stays readable', async () => {
    const d = await twinDevice('deep-reported')
    try {
      const r = await d.report(deep(5000))
      expect(r.status).toBe(400)
      expect(JSON.parse(r.body)).toMatchObject({ errorCode: expect.any(Number) })
      expect((await d.report(JSON.stringify({ battery: 50 }))).status).toBe(204)
      const got = await d.get()
      expect(got.status).toBe(200)
      expect(JSON.parse(got.body)).toMatchObject({ reported: { battery: 50 } })
    } finally {
      d.c.end(true)
    }
  })

  it('in a desired patch is refused with 400 before it changes anything', async () => {
    await registered('deep-desired')
    const before = await api<{ twin: { desired: { $version: number } } }>(
      lab,
      'GET',
      '/devices/deep-desired',
    )
    const r = await api<{ error: { code: string } }>(
      lab,
      'PATCH',
      '/devices/deep-desired/twin/desired',
      `{"x":${deep(5000)}}`,
    )
    expect(r.status).toBe(400)
    const deepish = await api(lab, 'PATCH', '/devices/deep-desired/twin/desired', { x: nested(11) })
    expect(deepish.status).toBe(400)
    const after = await api<{ twin: { desired: { $version: number } } }>(
      lab,
      'GET',
      '/devices/deep-desired',
    )
    expect(after.status).toBe(200)
    expect(after.body.twin.desired).toEqual(before.body.twin.desired)
    expect(
      (await api(lab, 'PATCH', '/devices/deep-desired/twin/desired', { x: nested(9) })).status,
    ).toBe(200)
  })

  it('in a telemetry body is recorded as text, and the telemetry stays readable', async () => {
    const host = await registered('deep-telemetry')
    const c = rawHubClient(lab, host, 'deep-telemetry')
    await connacked(c)
    await c.publishAsync(
      'devices/deep-telemetry/messages/events/%24.ct=application%2Fjson&seq=1',
      deep(5000),
      { qos: 1 },
    )
    c.end(true)
    const r = await api<{ messages: { body: unknown }[] }>(
      lab,
      'GET',
      '/devices/deep-telemetry/telemetry',
    )
    expect(r.status).toBe(200)
    expect(r.body.messages[0]!.body).toBe(deep(5000))
  })
})

describe("IoT Hub's and DPS's limits", () => {
  it('refuses ids DPS and IoT Hub refuse: wildcards, slashes and 129+ characters never get a hub', async () => {
    for (const id of ['+', 'a#b', 'bad id', '-lead', 'trail.', 'x'.repeat(129)]) {
      const c = rawDpsClient(lab, id)
      await connacked(c)
      const r = await rawRegister(c, JSON.stringify({ registrationId: id }))
      expect({ id: id.slice(0, 9), status: r.status, message: r.body.message }).toMatchObject({
        status: 400,
        message: expect.stringMatching(/registration id/),
      })
      c.end(true)
    }
    const devices = await api<{ deviceId: string }[]>(lab, 'GET', '/devices')
    expect(devices.body.map((d) => d.deviceId)).not.toContain('+')
    // A hub refuses such an id outright (identifier rejected), so it never gets a wildcard subscription.
    for (const id of ['+', '#', 'x'.repeat(200)]) {
      const hub = rawHubClient(lab, lab.hubs.a.host, id)
      await expect(connacked(hub)).rejects.toMatchObject({ code: 2 })
      hub.end(true)
    }
  })

  it('answers twin patches over IoT Hub limits with an error and keeps the twin', async () => {
    const d = await twinDevice('twin-limits')
    try {
      const refused = [
        { 'a.b': 1 },
        { $x: 1 },
        { 'with space': 1 },
        { ['k'.repeat(1025)]: 1 },
        { s: 'v'.repeat(4097) },
        { n: nested(10) },
        Object.fromEntries(Array.from({ length: 9 }, (_, i) => [`k${i}`, 'v'.repeat(4000)])),
      ]
      for (const patch of refused) {
        const r = await d.report(JSON.stringify(patch))
        expect({ patch: Object.keys(patch)[0]!.slice(0, 9), status: r.status }).toMatchObject({
          status: 400,
        })
      }
      expect((await d.report(JSON.stringify({ n: nested(9), s: 'v'.repeat(4096) }))).status).toBe(
        204,
      )
      const twin = JSON.parse((await d.get()).body) as { reported: Record<string, unknown> }
      expect(Object.keys(twin.reported).sort()).toEqual(['$version', 'n', 's'])
      // `__proto__` is a property name like any other: stored as data, no prototype touched.
      expect((await d.report('{"__proto__":{"polluted":1}}')).status).toBe(204)
      expect(
        (
          await api(
            lab,
            'PATCH',
            '/devices/twin-limits/twin/desired',
            '{"__proto__":{"polluted":2}}',
          )
        ).status,
      ).toBe(200)
      expect(({} as Record<string, unknown>).polluted).toBeUndefined()
      expect(JSON.parse((await d.get()).body)).toMatchObject({
        reported: { ['__proto__']: { polluted: 1 } },
      })
    } finally {
      d.c.end(true)
    }
  })

  it('closes a device that sends more than 256 KB to the cloud, and records none of it', async () => {
    const host = await registered('d2c-size')
    const c = rawHubClient(lab, host, 'd2c-size')
    await connacked(c)
    await c.publishAsync('devices/d2c-size/messages/events/seq=1', Buffer.alloc(200 * 1024, 65), {
      qos: 1,
    })
    const gone = closed(c)
    c.publish('devices/d2c-size/messages/events/seq=2', Buffer.alloc(256 * 1024 + 1, 65), {
      qos: 1,
    })
    await gone
    c.end(true)
    const r = await api<{ stats: { count: number } }>(lab, 'GET', '/devices/d2c-size/telemetry')
    expect(r.body.stats.count).toBe(1)
  })

  it('keeps no retained publish: telemetry carries mqtt-retain, as IoT Hub passes it on', async () => {
    const d = await twinDevice('retainer')
    try {
      await d.c.publishAsync('devices/retainer/messages/events/seq=1', '{"t":1}', {
        qos: 1,
        retain: true,
      })
      // Retained requests are still answered (and, like every retained publish, not kept).
      d.c.publish('$iothub/twin/GET/?$rid=r1', ' ', { qos: 0, retain: true })
      const r = await api<{ messages: { properties: Record<string, string> }[] }>(
        lab,
        'GET',
        '/devices/retainer/telemetry',
      )
      expect(r.body.messages[0]!.properties).toEqual({ seq: '1', 'mqtt-retain': 'true' })
      expect((await d.get()).status).toBe(200)
      expect(d.c.connected).toBe(true)
    } finally {
      d.c.end(true)
    }
  })

  it('settles C2D for a clean-session device by its PUBACKs, without closing it', async () => {
    const host = await registered('clean-c2d')
    const c = mqtt.connect(`mqtts://${host}`, {
      clientId: 'clean-c2d',
      username: `${host}/clean-c2d/?api-version=2021-04-12`,
      password: hubToken(lab, host, 'clean-c2d'),
      ca: lab.ca,
      clean: true,
      reconnectPeriod: 0,
    })
    await connacked(c)
    try {
      const got: string[] = []
      c.on('message', (_t, p) => got.push(p.toString()))
      await c.subscribeAsync('devices/clean-c2d/messages/devicebound/#', { qos: 1 })
      for (const body of ['m0', 'm1', 'm2'])
        await api(lab, 'POST', '/devices/clean-c2d/c2d', { body })
      const states = async () =>
        (await api<{ c2d: { body: string; state: string }[] }>(lab, 'GET', '/devices/clean-c2d'))
          .body.c2d
      await waitFor('all three completed', async () =>
        (await states()).every((m) => m.state === 'completed'),
      )
      expect(got).toEqual(['m0', 'm1', 'm2'])
      expect(c.connected).toBe(true)
    } finally {
      c.end(true)
    }
  })

  it('refuses C2D properties that would pose as system properties ($.mid and the like)', async () => {
    await registered('c2d-spoof')
    const r = await api<{ error: { code: string; message: string } }>(
      lab,
      'POST',
      '/devices/c2d-spoof/c2d',
      { body: 'm', properties: { '$.mid': 'spoof' } },
    )
    expect(r.status).toBe(400)
    expect(r.body.error.message).toMatch(/\$\.mid/)
  })

  it('closes a connection that publishes with QoS 2, at a hub and at DPS', async () => {
    const host = await registered('qos2')
    const c = rawHubClient(lab, host, 'qos2')
    await connacked(c)
    const gone = closed(c)
    c.publish('devices/qos2/messages/events/seq=1', 'x', { qos: 2 })
    await gone
    c.end(true)
    expect(
      (await api<{ stats: { count: number } }>(lab, 'GET', '/devices/qos2/telemetry')).body.stats
        .count,
    ).toBe(0)
    const d = rawDpsClient(lab, 'qos2-dps')
    await connacked(d)
    const dpsGone = closed(d)
    d.publish('$dps/registrations/PUT/iotdps-register/?$rid=1', '{"registrationId":"qos2-dps"}', {
      qos: 2,
    })
    await dpsGone
    d.end(true)
  })

  it('refuses C2D over 64 KB and method payloads over 128 KB', async () => {
    await registered('sizes')
    const c2d = await api<{ error: { code: string } }>(lab, 'POST', '/devices/sizes/c2d', {
      body: 'x'.repeat(64 * 1024 + 1),
    })
    expect([c2d.status, c2d.body.error.code]).toEqual([413, 'message-too-large'])
    expect(
      (await api(lab, 'POST', '/devices/sizes/c2d', { body: 'x'.repeat(60 * 1024) })).status,
    ).toBe(200)
    const method = await api<{ error: { code: string } }>(lab, 'POST', '/devices/sizes/methods', {
      methodName: 'echo',
      payload: 'x'.repeat(128 * 1024 + 1),
    })
    expect([method.status, method.body.error.code]).toEqual([413, 'payload-too-large'])
  })
})

// A small deterministic generator, so a failure reproduces.
function prng(seed: number) {
  let s = seed >>> 0
  return () => {
    s = (s * 1664525 + 1013904223) >>> 0
    return s / 2 ** 32
  }
}

describe('credentials at DPS', () => {
  it("a connection without valid credentials cannot take over a device's registration", async () => {
    const victim = rawDpsClient(lab, 'dps-victim')
    await connacked(victim)
    try {
      const sr = `${lab.idScope}/registrations/dps-victim`
      for (const [username, password] of [
        [`${sr}/api-version=2019-03-31`, 'not-a-token'],
        [`0ne00NOSUCH/registrations/dps-victim/api-version=2019-03-31`, 'not-a-token'],
      ] as const) {
        const impostor = mqtt.connect(`mqtts://${lab.dpsHost}`, {
          clientId: 'dps-victim',
          username,
          password,
          ca: lab.ca,
          reconnectPeriod: 0,
        })
        await expect(connacked(impostor)).rejects.toMatchObject({ code: 5 })
        await closed(impostor)
      }
      expect(victim.connected).toBe(true)
      expect((await rawRegister(victim, '{"registrationId":"dps-victim"}')).status).toBe(200)
    } finally {
      victim.end(true)
    }
  })

  it('a device alone with bad credentials still hears why (401, 404), not a bare refusal', async () => {
    const sr = `${lab.idScope}/registrations/dps-alone`
    const c = mqtt.connect(`mqtts://${lab.dpsHost}`, {
      clientId: 'dps-alone',
      username: `${sr}/api-version=2019-03-31`,
      password: 'not-a-token',
      ca: lab.ca,
      reconnectPeriod: 0,
    })
    await connacked(c)
    expect((await rawRegister(c, '{"registrationId":"dps-alone"}')).status).toBe(401)
    c.end(true)
  })
})

describe('a fuzz of malformed and oversized input', () => {
  it('leaves DPS, both hubs and the control API serving a healthy device', async () => {
    const rand = prng(20240611)
    const ports = [Number(lab.dpsHost.split(':')[1]), lab.hubs.a.port, lab.hubs.b.port]
    const victim = 'fuzz-victim'
    const victimHub = await registered(victim)
    for (const port of ports) await fuzzMqttPort(port, lab.ca, rand)
    await fuzzMqttSession(lab, victimHub, victim, rand)
    await fuzzMqttSession(lab, lab.dpsHost, victim, rand)
    await fuzzHttp(lab.controlUrl, rand)

    // A healthy device still provisions, connects, sends, and answers a method call.
    const hub = await registered('fuzz-healthy')
    let client: Client | null = null
    try {
      client = await connectHub({
        hub,
        deviceId: 'fuzz-healthy',
        groupKey: lab.groupPrimaryKey,
        ca: lab.ca,
      })
      await client.sendEvent(jsonMessage({ temp: 1 }, { seq: '1' }, 'fuzz-healthy-1'))
      client.onDeviceMethod('echo', (req, res) => void res.send(200, req.payload))
      const answered = await waitFor('the method call', async () => {
        const r = await api<{ status: number; payload: unknown }>(
          lab,
          'POST',
          '/devices/fuzz-healthy/methods',
          {
            methodName: 'echo',
            payload: { hi: 1 },
            responseTimeoutInSeconds: 5,
          },
        )
        return r.body.status === 200 ? r.body : null
      })
      expect(answered.payload).toEqual({ hi: 1 })
      const tel = await api<{ stats: { count: number } }>(
        lab,
        'GET',
        '/devices/fuzz-healthy/telemetry',
      )
      expect(tel.body.stats.count).toBe(1)
    } finally {
      await client?.close()
    }
    expect((await api<{ ok: boolean }>(lab, 'GET', '/health')).body.ok).toBe(true)
    // Every bad input met a rule, not a fault: nothing had to be contained.
    expect(logs.filter((l) => /fault contained/.test(l))).toEqual([])
    expect(logs.some((l) => /sent a \d+-byte packet/.test(l))).toBe(true)
  })
})

const pick = <T>(rand: () => number, xs: readonly T[]): T => xs[Math.floor(rand() * xs.length)]!
const bytes = (rand: () => number, n: number) =>
  Buffer.from(Array.from({ length: n }, () => Math.floor(rand() * 256)))

/** Writes `data` on a fresh connection and waits until the server closes it or 500 ms pass. */
function poke(port: number, ca: string, data: Buffer[], secure = true): Promise<void> {
  return new Promise((resolve) => {
    const s = secure ? tlsConnect({ port, host: '127.0.0.1', ca }) : tcpConnect(port, '127.0.0.1')
    const done = () => {
      clearTimeout(timer)
      s.destroy()
      resolve()
    }
    const timer = setTimeout(done, 500)
    s.on('error', done)
    s.on('close', done)
    s.once(secure ? 'secureConnect' : 'connect', () => {
      for (const d of data) s.write(d)
    })
  })
}

const str = (s: string) => {
  const b = Buffer.from(s, 'utf8')
  return Buffer.concat([Buffer.from([b.length >> 8, b.length & 255]), b])
}
const remaining = (n: number) => {
  const out: number[] = []
  do {
    let byte = n % 128
    n = Math.floor(n / 128)
    if (n > 0) byte |= 128
    out.push(byte)
  } while (n > 0)
  return Buffer.from(out)
}
const packet = (first: number, body: Buffer) =>
  Buffer.concat([Buffer.from([first]), remaining(body.length), body])
const connectBody = (level: number, clientId: Buffer | string) =>
  Buffer.concat([
    str('MQTT'),
    Buffer.from([level, 2, 0, 60]),
    typeof clientId === 'string' ? str(clientId) : clientId,
  ])

/** Malformed MQTT at one TLS port: garbage, lies about lengths, bad CONNECTs, talk before CONNECT. */
async function fuzzMqttPort(port: number, ca: string, rand: () => number): Promise<void> {
  const cases: Buffer[][] = [
    [bytes(rand, 64)],
    [bytes(rand, 4096)],
    [Buffer.from([0x10, 0xff, 0xff, 0xff, 0x7f])], // CONNECT announcing 256 MB
    [Buffer.from([0x30, 0xff, 0xff, 0xff, 0x7f]), bytes(rand, 2000)], // PUBLISH before CONNECT, 256 MB
    [packet(0x10, connectBody(99, 'dev'))],
    [packet(0x10, connectBody(4, Buffer.from([0, 3, 0xc3, 0x28, 0x00])))], // invalid UTF-8 id
    [packet(0x10, connectBody(4, '')), packet(0x82, Buffer.from([0, 1, 0, 1, 0x23, 0]))],
    [packet(0x30, Buffer.concat([str('devices/x/messages/events/'), bytes(rand, 10)]))],
    [packet(0xf0, Buffer.alloc(0))],
    [Buffer.from([0x10])], // a header and nothing more
  ]
  await Promise.all(cases.map((c) => poke(port, ca, c)))
  await Promise.all([
    poke(port, ca, [bytes(rand, 300)], false),
    poke(port, ca, [Buffer.from('GET / HTTP/1.1\r\n\r\n')], false),
  ])
}

/** A device with valid credentials that then says everything wrong, reconnecting when dropped. */
async function fuzzMqttSession(
  l: Lab,
  host: string,
  deviceId: string,
  rand: () => number,
): Promise<void> {
  const isDps = host === l.dpsHost
  const topics = isDps
    ? [
        '$dps/registrations/PUT/iotdps-register/?$rid=1',
        '$dps/registrations/PUT/iotdps-register/',
        '$dps/registrations/GET/iotdps-get-operationstatus/?$rid=2&operationId=%E0%A4%A',
        '$dps/registrations/GET/iotdps-get-operationstatus/?$rid=3&operationId=' + 'z'.repeat(5000),
        '$dps/other',
      ]
    : [
        `devices/${deviceId}/messages/events/%ZZ&&==&%24.mid=%E0%A4%A&seq=99999999999999999999`,
        `devices/${deviceId}/messages/events/%24.ct=application%2Fjson`,
        '$iothub/twin/PATCH/properties/reported/?$rid=%',
        '$iothub/twin/GET/?$rid=' + 'r'.repeat(3000),
        '$iothub/methods/res/999/?$rid=nobody',
        '$iothub/methods/res/200/',
        'devices/someone-else/messages/events/',
        '$iothub/twin/PATCH/properties/desired/?$rid=1',
      ]
  const payloads = () => [
    bytes(rand, 100),
    Buffer.from([0xc3, 0x28, 0xff]),
    Buffer.from('[]'),
    Buffer.from('null'),
    Buffer.from('"x"'),
    Buffer.from('1e999'),
    Buffer.from(JSON.stringify({ registrationId: 'someone-else', payload: { a: 1 } })),
    Buffer.from(JSON.stringify({ registrationId: deviceId, payload: 'x'.repeat(100_000) })),
    Buffer.from('{"a":' + '['.repeat(3000)),
  ]
  const filters = [
    '#',
    '+/#',
    '$SYS/#',
    'devices/+/messages/devicebound/#',
    't/'.repeat(2000),
    '$iothub/methods/POST/#',
  ]
  const connect = (): mqtt.MqttClient =>
    isDps ? rawDpsClient(l, deviceId) : rawHubClient(l, host, deviceId)
  for (let round = 0; round < 6; round++) {
    const c = connect()
    try {
      await connacked(c)
    } catch {
      c.end(true)
      continue
    }
    const gone = closed(c)
    for (let i = 0; i < 12 && c.connected; i++) {
      const roll = rand()
      if (roll < 0.6)
        c.publish(pick(rand, topics), pick(rand, payloads()), { qos: pick(rand, [0, 1] as const) })
      else if (roll < 0.85)
        c.subscribe(pick(rand, filters), { qos: pick(rand, [0, 1] as const) }, () => {})
      else c.unsubscribe(pick(rand, filters), () => {})
    }
    await Promise.race([gone, new Promise((r) => setTimeout(r, 300))])
    c.end(true)
  }
}

/** The control API, with raw bytes and with well-formed HTTP carrying nonsense: never a 5xx. */
async function fuzzHttp(url: string, rand: () => number): Promise<void> {
  const port = Number(new URL(url).port)
  const raw = [
    'GARBAGE\r\n\r\n',
    'GET /devices HTTP/1.1\r\nHost: 127.0.0.1:' +
      port +
      '\r\n' +
      'X: ' +
      'h'.repeat(20_000) +
      '\r\n\r\n',
    'POST /dps/throttle HTTP/1.1\r\nHost: 127.0.0.1:' +
      port +
      '\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n',
    'POST /dps/throttle HTTP/1.1\r\nHost: 127.0.0.1:' +
      port +
      '\r\nContent-Type: application/json\r\nContent-Length: 100\r\n\r\n{"retryAfter"',
  ]
  await Promise.all(raw.map((r) => poke(port, '', [Buffer.from(r)], false)))
  const paths = [
    '/devices/fuzz-victim',
    '/devices/fuzz-victim/telemetry',
    '/devices/fuzz-victim/methods',
    '/devices/fuzz-victim/c2d',
    '/devices/fuzz-victim/twin/desired',
    '/devices/fuzz-victim/rehome',
    '/system/iothub/devices/fuzz-victim/manual-failover',
    '/hubs',
    '/hubs/z/outage',
    '/dps/drop-after-connack',
    '/devices/%00/telemetry',
    '/devices/' + 'd'.repeat(5000),
    '/../../etc/passwd',
    '/lab?x=%E0%A4%A',
  ]
  const bodies = [
    undefined,
    '',
    'null',
    '[]',
    '"text"',
    '{"methodName":{"a":1}}',
    '{"body":' + '['.repeat(5000) + ']'.repeat(5000) + '}',
    '{"ttl":1e309}',
    '{"hub":"c"}',
    '{"count":-1}',
    '{"__proto__":{"polluted":1}}',
    '{"responseTimeoutInSeconds":1,"methodName":"x","payload":' + deep(3000) + '}',
    bytes(rand, 200).toString('latin1'),
  ]
  for (let i = 0; i < 120; i++) {
    const method = pick(rand, ['GET', 'POST', 'PATCH', 'PUT', 'DELETE', 'OPTIONS'])
    const body = method === 'GET' || method === 'OPTIONS' ? undefined : pick(rand, bodies)
    const path = pick(rand, paths)
    const res = await fetch(url + path, {
      method,
      headers: body === undefined ? {} : { 'content-type': 'application/json' },
      body,
    })
    await res.arrayBuffer()
    expect({ method, path, body: body?.slice(0, 40), status: res.status }).toMatchObject({
      status: expect.any(Number),
    })
    expect({ method, path, body: body?.slice(0, 40), status: res.status < 500 }).toMatchObject({
      status: true,
    })
  }
  expect(({} as Record<string, unknown>).polluted).toBeUndefined()
}
