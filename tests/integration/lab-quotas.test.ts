import { execFile, spawn } from 'node:child_process'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { promisify } from 'node:util'
import type mqtt from 'mqtt'
import { afterEach, describe, expect, it, vi } from 'vitest'
import { main } from '../../lab/cli'
import { privateLabOptions, startLab } from '../../lab/index'
import type { QuotaStats, QuotaView } from '../../lab/quotas'
import type { LabOptions } from '../../lab/types'
import {
  api,
  closed,
  connacked,
  rawDpsClient,
  rawHubClient,
  rawRegister,
  testLab,
  waitFor,
} from '../support/lab'
import { provisionIn } from '../support/sdk-device'

// The lab's DPS and hubs throttle as IoT Central's do: registrations per minute, polls per
// device, new connections per hub; each counted, shown, and changed at run time.

type Lab = Awaited<ReturnType<typeof testLab>>
type Stats = QuotaStats & {
  devices: number
  homeHubs: Record<'a' | 'b', number>
  connected: Record<'a' | 'b', number>
}

const labs: Lab[] = []
const clients: mqtt.MqttClient[] = []
afterEach(async () => {
  for (const c of clients.splice(0)) c.end(true)
  for (const l of labs.splice(0)) await l.stop()
})

async function lab(options: LabOptions = {}): Promise<Lab> {
  const l = await testLab(options)
  labs.push(l)
  return l
}

/** A raw DPS device, subscribed; `ask` publishes one request and resolves with the reply. */
async function dpsDevice(l: Lab, reg: string) {
  const c = rawDpsClient(l, reg)
  clients.push(c)
  await connacked(c)
  await c.subscribeAsync('$dps/registrations/res/#', { qos: 1 })
  let rid = 0
  const ask = (topic: string, payload: string) =>
    new Promise<{ topic: string; status: number; body: Record<string, unknown> }>((resolve) => {
      const id = String(++rid)
      const onMessage = (t: string, p: Buffer) => {
        const m = /^\$dps\/registrations\/res\/(\d+)\/\?\$rid=([^&]+)/.exec(t)
        if (m?.[2] !== id) return
        c.off('message', onMessage)
        resolve({
          topic: t,
          status: Number(m[1]),
          body: JSON.parse(p.toString()) as Record<string, unknown>,
        })
      }
      c.on('message', onMessage)
      c.publish(topic.replace('{rid}', id), payload, { qos: 1 })
    })
  return {
    c,
    register: () =>
      ask(
        '$dps/registrations/PUT/iotdps-register/?$rid={rid}',
        JSON.stringify({ registrationId: reg, payload: {} }),
      ),
    poll: (operationId: string) =>
      ask(
        `$dps/registrations/GET/iotdps-get-operationstatus/?$rid={rid}&operationId=${operationId}`,
        ' ',
      ),
  }
}

const retryAfterOf = (topic: string) => Number(/[?&]retry-after=(\d+)/.exec(topic)?.[1])

const dpsError = {
  errorCode: 429001,
  trackingId: expect.stringMatching(/^[0-9a-f-]{36}$/),
  message: expect.stringMatching(/^Operations are being throttled for this tenant/),
  timestampUtc: expect.stringMatching(/^\d{4}-\d\d-\d\dT/),
}

const stats = async (l: Lab) => (await api<Stats>(l, 'GET', '/stats')).body
const sum = (c: QuotaStats['dpsRegistrations'], k: 'accepted' | 'throttled') =>
  c.perMinute.reduce((n, m) => n + m[k], 0)

async function lizard(l: Lab, ...argv: string[]) {
  let stdout = ''
  const out = vi
    .spyOn(process.stdout, 'write')
    .mockImplementation((s) => ((stdout += String(s)), true))
  const err = vi.spyOn(process.stderr, 'write').mockImplementation(() => true)
  try {
    const code = await main([...argv, '--url', l.controlUrl])
    return { code, stdout }
  } finally {
    out.mockRestore()
    err.mockRestore()
  }
}

describe('DPS registration rate', () => {
  it('answers 429 with errorCode 429001 and a retry-after past the burst, and counts what it let in', async () => {
    // 6 a minute: one token per 10 s, so the first three cannot earn the fourth one its own.
    const l = await lab({ quotas: { dpsRate: 6, dpsBurst: 3 } })
    for (const id of ['q-1', 'q-2', 'q-3']) {
      const c = rawDpsClient(l, id)
      clients.push(c)
      await connacked(c)
      expect((await rawRegister(c, JSON.stringify({ registrationId: id }))).status).toBe(200)
    }
    const d = await dpsDevice(l, 'q-4')
    const r = await d.register()
    expect(r.status).toBe(429)
    expect(r.topic).toMatch(/^\$dps\/registrations\/res\/429\/\?\$rid=1&retry-after=\d+$/)
    // Whole seconds until the next token: at most the 10 s one token takes.
    expect(retryAfterOf(r.topic)).toBeGreaterThanOrEqual(1)
    expect(retryAfterOf(r.topic)).toBeLessThanOrEqual(10)
    expect(r.body).toEqual(dpsError)
    expect(r.body.message).toMatch(/at most 6 registrations per minute for this id scope/)
    // A throttled registration is not a registration: the device is unknown until it gets in.
    expect(l.state.devices.has('q-4')).toBe(false)

    const s = await stats(l)
    expect(s.dpsRegistrations).toMatchObject({ accepted: 3, throttled: 1 })
    expect([sum(s.dpsRegistrations, 'accepted'), sum(s.dpsRegistrations, 'throttled')]).toEqual([
      3, 1,
    ])
    expect(s.dpsPolls.accepted).toBe(3)
  })

  it('lets the unmodified SDK through once it waits the retry-after it was given', async () => {
    const l = await lab({ quotas: { dpsRate: 20, dpsBurst: 1 } })
    await provisionIn(l, 'sdk-1')
    const second = await provisionIn(l, 'sdk-2')
    expect(second.assignedHub).toMatch(/^127\.0\.0\.1:\d+$/)
    const s = await stats(l)
    expect(s.dpsRegistrations.accepted).toBe(2)
    expect(s.dpsRegistrations.throttled).toBeGreaterThanOrEqual(1)
  })
})

describe('DPS polling limit', () => {
  it('answers a device polling past 5 per 10 s with 429 and keeps its operation for later', async () => {
    const l = await lab({ quotas: { pollLimit: 5 } })
    const d = await dpsDevice(l, 'poller')
    const put = await d.register()
    expect(put.status).toBe(202)
    for (let i = 0; i < 5; i++) expect((await d.poll('not-an-operation')).status).toBe(404)
    const throttled = await d.poll(String(put.body.operationId))
    expect(throttled.status).toBe(429)
    expect(throttled.body).toEqual(dpsError)
    expect(throttled.body.message).toMatch(/5 operation-status polls per 10 s per device/)
    const wait = retryAfterOf(throttled.topic)
    expect(wait).toBeGreaterThanOrEqual(1)
    expect(wait).toBeLessThanOrEqual(10)
    // Another device is not held back by this one.
    const other = await dpsDevice(l, 'other-poller')
    expect((await other.poll('x')).status).toBe(404)

    // Turned off at run time, the same operation completes: the 429 did not end it.
    expect((await api(l, 'PUT', '/quotas', { pollLimit: 0 })).status).toBe(200)
    const done = await d.poll(String(put.body.operationId))
    expect(done.status).toBe(200)
    expect(done.body).toMatchObject({ status: 'assigned' })
    const s = await stats(l)
    expect(s.dpsPolls).toMatchObject({ accepted: 7, throttled: 1 })
  })
})

describe('hub connection rate', () => {
  it('refuses new connections past the rate with CONNACK 3, counts both, and takes them again later', async () => {
    const l = await lab({ quotas: { hubConnectRate: 1 } })
    const ids = ['conn-0', 'conn-1', 'conn-2', 'conn-3', 'conn-4', 'conn-5']
    for (const id of ids) l.state.register(id)
    const onA = ids.filter((id) => l.state.devices.get(id)!.homeHub === 'a').slice(0, 3)
    expect(onA.length).toBeGreaterThanOrEqual(2)
    const attempts = onA.map((id) => {
      const c = rawHubClient(l, l.hubs.a.host, id)
      clients.push(c)
      return connacked(c).then(
        () => 0,
        (e: { code?: number }) => e.code,
      )
    })
    const codes = await Promise.all(attempts)
    const accepted = codes.filter((c) => c === 0).length
    const refused = codes.filter((c) => c === 3).length
    expect(accepted + refused).toBe(onA.length)
    expect(refused).toBeGreaterThanOrEqual(1)
    const s = await stats(l)
    expect(s.hubConnects.a).toMatchObject({ accepted, throttled: refused })
    expect(s.hubConnects.b).toMatchObject({ accepted: 0, throttled: 0 })

    // A second later the hub has a token again.
    const late = onA[codes.indexOf(3)]!
    await waitFor(`${late} to be let in`, async () => {
      const c = rawHubClient(l, l.hubs.a.host, late)
      clients.push(c)
      const ok = await connacked(c).then(
        () => true,
        () => false,
      )
      if (!ok) await closed(c)
      return ok
    })
  })
})

describe('quotas through the control API and lizard', () => {
  it("are IoT Central's in a lab started without options, and off in a private lab", async () => {
    const dir = mkdtempSync(join(tmpdir(), 'lab-quota-default-'))
    const { quotas: _off, ...ports } = privateLabOptions(dir)
    const real = await startLab(ports)
    try {
      expect((await api<QuotaView>(real, 'GET', '/quotas')).body).toEqual({
        dpsRate: 200,
        dpsBurst: null,
        dpsBurstInForce: 17,
        pollLimit: 5,
        pollWindowSec: 10,
        hubConnectRate: 100,
        hubConnectBurst: 100,
      })
    } finally {
      await real.stop()
      rmSync(dir, { recursive: true, force: true })
    }
    const l = await lab()
    expect((await api<QuotaView>(l, 'GET', '/quotas')).body).toMatchObject({
      dpsRate: 0,
      pollLimit: 0,
      hubConnectRate: 0,
    })
  })

  it('change with PUT /quotas, checked: a bad value changes nothing', async () => {
    const l = await lab()
    const put = await api<QuotaView>(l, 'PUT', '/quotas', { dpsRate: 1000, hubConnectRate: 50 })
    expect(put.body).toMatchObject({ dpsRate: 1000, dpsBurstInForce: 84, hubConnectRate: 50 })
    for (const bad of [
      { dpsRate: -1 },
      { dpsBurst: 0 },
      { pollLimit: 'five' },
      { hubConnectRate: 1.5 },
      { other: 1 },
      [],
    ]) {
      const r = await api<{ error: { code: string } }>(l, 'PUT', '/quotas', bad)
      expect({ bad, status: r.status, code: r.body.error.code }).toEqual({
        bad,
        status: 400,
        code: 'bad-request',
      })
    }
    expect((await api<QuotaView>(l, 'GET', '/quotas')).body).toMatchObject({
      dpsRate: 1000,
      hubConnectRate: 50,
    })
    const burst = await api<QuotaView>(l, 'PUT', '/quotas', { dpsBurst: 10 })
    expect(burst.body).toMatchObject({ dpsBurst: 10, dpsBurstInForce: 10 })
    const auto = await api<QuotaView>(l, 'PUT', '/quotas', { dpsBurst: null })
    expect(auto.body).toMatchObject({ dpsBurst: null, dpsBurstInForce: 84 })
    expect((await api(l, 'POST', '/quotas', {})).status).toBe(405)
  })

  it('lizard quotas shows and changes them; lizard stats prints each quota and the home split', async () => {
    const l = await lab()
    expect((await lizard(l, 'quotas')).stdout).toMatch(/^DPS registrations +off$/m)
    const set = await lizard(l, 'quotas', '--dps-rate', '6', '--poll-limit', '2')
    expect(set.code).toBe(0)
    expect(set.stdout).toMatch(/^DPS registrations +6\/min, burst 1 \(5 s worth\)$/m)
    expect(set.stdout).toMatch(/^DPS polls +2 per 10 s per device$/m)
    expect(set.stdout).toMatch(/^hub new connections +off$/m)
    expect((await lizard(l, 'quotas', '--dps-burst', '3')).stdout).toMatch(/burst 3$/m)
    expect(JSON.parse((await lizard(l, 'quotas', '--json')).stdout)).toMatchObject({
      dpsRate: 6,
      dpsBurst: 3,
    })
    await expect(lizard(l, 'quotas', '--dps-rate', 'lots')).resolves.toMatchObject({ code: 2 })

    for (const id of ['s-1', 's-2', 's-3', 's-4']) {
      const c = rawDpsClient(l, id)
      clients.push(c)
      await connacked(c)
      await rawRegister(c, JSON.stringify({ registrationId: id }))
    }
    const d = await dpsDevice(l, 's-5')
    expect((await d.register()).status).toBe(429)

    const out = await lizard(l, 'stats')
    expect(out.code).toBe(0)
    expect(out.stdout).toMatch(/^DPS registrations +6\/min, burst 3 +3 +2$/m)
    expect(out.stdout).toMatch(/^DPS polls +2 per 10 s per device +3 +0$/m)
    expect(out.stdout).toMatch(/^hub A new connections +off +0 +0$/m)
    // One row a minute (two, should the test cross a minute): accepted/throttled per quota.
    const minutes = [
      ...out.stdout.matchAll(/^\d\d:\d\d +(\d+)\/(\d+) +(\d+)\/(\d+) +0\/0 +0\/0$/gm),
    ]
    expect(minutes.length).toBeGreaterThanOrEqual(1)
    const column = (i: number) => minutes.reduce((n, m) => n + Number(m[i]), 0)
    expect([1, 2, 3, 4].map(column)).toEqual([3, 2, 3, 0])
    const split = l.state.homeSplit()
    expect(split.a + split.b).toBe(3)
    expect(out.stdout).toContain(
      `Home hubs of 3 registered device(s): A ${split.a} (${((split.a / 3) * 100).toFixed(1)} %)`,
    )
    expect(JSON.parse((await lizard(l, 'stats', '--json')).stdout)).toMatchObject({
      devices: 3,
      homeHubs: split,
      dpsRegistrations: { accepted: 3, throttled: 2 },
    })
    // With a device id, stats are still that device's telemetry.
    expect((await lizard(l, 'stats', 's-1')).stdout).toMatch(/^received 0 /)
  })
})

describe('npm run lab quota flags', () => {
  const ports = [
    '--dps-port',
    '0',
    '--hub-a-port',
    '0',
    '--hub-b-port',
    '0',
    '--control-port',
    '0',
    '--no-websockets',
  ]

  it('start the lab with the quotas they name, and refuse ones that are not whole numbers', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'lab-quota-flags-'))
    const child = spawn(
      process.execPath,
      [
        '--import',
        'tsx',
        'lab/main.ts',
        '--data-dir',
        dir,
        ...ports,
        '--dps-rate',
        '1000',
        '--poll-limit',
        '0',
        '--hub-connect-rate',
        '10',
      ],
      { stdio: ['ignore', 'pipe', 'inherit'] },
    )
    const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()))
    try {
      let out = ''
      child.stdout.on('data', (c: Buffer) => (out += c.toString()))
      const controlUrl = await waitFor(
        'the lab to say where its control API is',
        () => /control API +(http:\/\/\S+)/.exec(out)?.[1],
        20_000,
      )
      expect(out).toMatch(
        /quotas +DPS 1000 registrations\/min \(burst 84\) · polls unlimited · 10 connects\/s per hub/,
      )
      expect((await api<QuotaView>({ controlUrl }, 'GET', '/quotas')).body).toMatchObject({
        dpsRate: 1000,
        dpsBurstInForce: 84,
        pollLimit: 0,
        hubConnectRate: 10,
      })
    } finally {
      child.kill('SIGTERM')
      await exited
      rmSync(dir, { recursive: true, force: true })
    }
    await Promise.all(
      (
        [
          [['--dps-rate', 'lots'], /^lab: --dps-rate takes a whole number, 0 to 1000000/],
          [['--dps-burst', '0'], /^lab: --dps-burst takes a whole number, 1 to/],
          [['--poll-limit', '2.5'], /^lab: --poll-limit takes a whole number/],
          [['--hub-connect-rate', '-1'], /^lab: --hub-connect-rate takes a whole number/],
        ] as const
      ).map(([bad, said]) =>
        expect(
          promisify(execFile)(
            process.execPath,
            ['--import', 'tsx', 'lab/main.ts', ...ports, ...bad],
            { timeout: 15_000 },
          ),
        ).rejects.toMatchObject({ code: 2, stderr: expect.stringMatching(said) }),
      ),
    )
  })
})
