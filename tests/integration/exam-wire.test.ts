import mqtt from 'mqtt'
import { request } from 'node:http'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { WireEvent } from '../../lab/exam/evidence'
import {
  api,
  closed,
  connacked,
  hubToken,
  rawDpsClient,
  rawRegister,
  testLab,
  waitFor,
} from '../support/lab'

// What the lab records of a watched device, event by event, as `lizard exam` reads it: DPS
// registrations and polls, hub CONNECTs and how each connection ended, telemetry, reported
// patches; and the watch/wire endpoints with their bounds. An unwatched device is not recorded.

let lab: Awaited<ReturnType<typeof testLab>>

beforeAll(async () => {
  lab = await testLab({ dpsDetectSec: 0, rebalanceSec: 0 })
})
afterAll(async () => {
  await lab?.stop()
})

type Page = { events: WireEvent[]; next: number; more: boolean; dropped: number; missed: number }
const wire = async (id: string, query = '') =>
  (await api<Page>(lab, 'GET', `/devices/${id}/wire${query}`)).body
const model = 'dtmi:example:Wired;1'

async function register(id: string, payload: unknown) {
  const c = rawDpsClient(lab, id)
  try {
    await connacked(c)
    return await rawRegister(c, JSON.stringify({ registrationId: id, payload }))
  } finally {
    await c.endAsync()
  }
}

function hubClient(host: string, id: string, modelId?: string) {
  const c = mqtt.connect(`mqtts://${host}`, {
    clientId: id,
    username: `${host}/${id}/?api-version=2021-04-12${modelId ? `&model-id=${modelId}` : ''}`,
    password: hubToken(lab, host, id),
    ca: lab.ca,
    protocolVersion: 4,
    clean: false,
    reconnectPeriod: 0,
  })
  c.on('error', () => {})
  return c
}

const hubOf = async (id: string) =>
  (await api<{ assignedHub: 'a' | 'b' }>(lab, 'GET', `/devices/${id}`)).body.assignedHub
const other = (h: 'a' | 'b') => (h === 'a' ? 'b' : 'a')

/** Waits for the next events of a kind, from serial `after` on. */
async function next(id: string, after: number, kind: WireEvent['kind'], count = 1) {
  return waitFor(`${count} ${kind} event(s)`, async () => {
    const p = await wire(id, `?after=${after}`)
    const hits = p.events.filter((e) => e.kind === kind)
    return hits.length >= count ? { hits, next: p.next } : null
  })
}

describe('the wire log', () => {
  it('records each DPS request, CONNECT, disconnect, message and reported patch of a watched device', async () => {
    const id = 'wired'
    expect((await register(id, { iotcModelId: model })).status).toBe(200)
    // Not watched yet: nothing recorded, nothing to read.
    expect((await api(lab, 'GET', `/devices/${id}/wire`)).status).toBe(404)
    const w = await api<{ watching: boolean; until: string }>(
      lab,
      'POST',
      `/devices/${id}/watch`,
      {},
    )
    expect(w.status).toBe(200)
    expect(w.body.watching).toBe(true)

    // DPS: accepted with its model id, a poll answered; throttled with retry-after; refused.
    expect((await register(id, { modelId: model })).status).toBe(200)
    await api(lab, 'POST', '/dps/throttle', { retryAfter: 7 })
    expect((await register(id, { iotcModelId: model })).status).toBe(429)
    await api(lab, 'POST', '/dps/restore', {})
    const bad = rawDpsClient(lab, id)
    await connacked(bad)
    expect((await rawRegister(bad, '{"registrationId":"someone-else"}')).status).toBe(400)
    await bad.endAsync()
    const events = (await wire(id)).events
    expect(events.map((e) => (e.kind === 'dps-register' ? e.outcome : e.kind))).toEqual([
      'accepted',
      'dps-poll',
      'throttled',
      'refused',
    ])
    expect(events[0]).toMatchObject({ kind: 'dps-register', modelId: model })
    expect(events[1]).toMatchObject({ kind: 'dps-poll', outcome: 'answered' })
    expect(events[2]).toMatchObject({ retryAfterSec: 7, modelId: model })
    expect(events[3]).toMatchObject({ modelId: null })
    let after = (await wire(id)).next

    // Hub: refused where it does not belong (CONNACK 5), accepted at home with its model-id.
    const home = await hubOf(id)
    const wrong = hubClient(lab.hubs[other(home)].host, id)
    await expect(connacked(wrong)).rejects.toMatchObject({ code: 5 })
    wrong.end(true)
    const c1 = hubClient(lab.hubs[home].host, id, model)
    await connacked(c1)
    let got = await next(id, after, 'hub-connect', 2)
    expect(got.hits).toEqual([
      expect.objectContaining({ hub: other(home), outcome: 'refused', connack: 5, modelId: null }),
      expect.objectContaining({ hub: home, outcome: 'accepted', modelId: model, replaced: false }),
    ])
    after = got.next

    // Telemetry: seq and message id where given; the same id again is a duplicate.
    const t = `devices/${id}/messages/events/`
    await c1.publishAsync(`${t}%24.mid=m-1&seq=1`, '{}', { qos: 1 })
    await c1.publishAsync(`${t}%24.mid=m-1&seq=1`, '{}', { qos: 1 })
    await c1.publishAsync(t, '{}', { qos: 1 })
    got = await next(id, after, 'telemetry', 3)
    expect(
      got.hits.map((e) => e.kind === 'telemetry' && [e.seq, e.messageId, e.duplicate]),
    ).toEqual([
      [1, 'm-1', false],
      [1, 'm-1', true],
      [null, null, false],
    ])
    after = got.next

    // A reported patch: its keys, and the desired version each acknowledgement names.
    await c1.subscribeAsync('$iothub/twin/res/#')
    await c1.publishAsync(
      '$iothub/twin/PATCH/properties/reported/?$rid=1',
      JSON.stringify({
        fanSpeed: { value: 1, ac: 200, av: 3, ad: 'ok' },
        thermostat1: { __t: 'c', target: { value: 2, ac: 200, av: 4 } },
        battery: 50,
      }),
    )
    got = await next(id, after, 'reported')
    expect(got.hits[0]).toMatchObject({
      keys: ['fanSpeed', 'thermostat1', 'battery'],
      acks: { fanSpeed: 3, 'thermostat1/target': 4, thermostat1: 4 },
    })
    after = got.next

    // A second client with the same id takes over; a failover evicts; the hub dying; the
    // socket dropped; a DISCONNECT.
    const c2 = hubClient(lab.hubs[home].host, id, model)
    await connacked(c2)
    await closed(c1)
    got = await next(id, after, 'hub-connect')
    expect(got.hits[0]).toMatchObject({ outcome: 'accepted', replaced: true })
    await api(lab, 'POST', `/system/iothub/devices/${id}/manual-failover`, {})
    await closed(c2)
    const away = other(home)
    const c3 = hubClient(lab.hubs[away].host, id, model)
    await connacked(c3)
    await api(lab, 'POST', `/hubs/${away}/kill`, {})
    await closed(c3)
    await api(lab, 'POST', `/hubs/${away}/restore`, {})
    await api(lab, 'POST', `/system/iothub/devices/${id}/manual-failback`)
    const c4 = hubClient(lab.hubs[home].host, id)
    await connacked(c4)
    c4.stream.destroy()
    await closed(c4)
    const c5 = hubClient(lab.hubs[home].host, id)
    await connacked(c5)
    await c5.endAsync()
    got = await next(id, after, 'hub-disconnect', 5)
    expect(got.hits.map((e) => e.kind === 'hub-disconnect' && `${e.hub} ${e.how}`)).toEqual([
      `${home} replaced`,
      `${home} evicted`,
      `${away} hub-down`,
      `${home} socket-closed`,
      `${home} disconnect-packet`,
    ])

    // GET /devices lists it (any client that connects is a device DPS registered).
    await waitFor('the device listed', async () => {
      const list = await api<{ deviceId: string; dpsModelId: string | null }[]>(
        lab,
        'GET',
        '/devices',
      )
      return list.body.find((d) => d.deviceId === id)?.dpsModelId === model
    })

    // Paging: bounded pages, `next` to go on, nothing given twice.
    const all = (await wire(id)).events
    const p1 = await wire(id, '?limit=3')
    expect(p1.events).toEqual(all.slice(0, 3))
    expect(p1.more).toBe(true)
    const p2 = await wire(id, `?after=${p1.next}&limit=5000`)
    expect([...p1.events, ...p2.events]).toEqual(all)
    expect(p2.more).toBe(false)
    const since = all[5]!.at
    expect((await wire(id, `?since=${since}`)).events).toEqual(all.filter((e) => e.at >= since))

    // Done: the watch ends, the log is gone.
    expect((await api(lab, 'DELETE', `/devices/${id}/watch`)).status).toBe(200)
    expect((await api(lab, 'GET', `/devices/${id}/wire`)).status).toBe(404)
  })

  it('refuses what is out of bounds or not for it, as every route does', async () => {
    const id = 'wired-bounds'
    expect((await register(id, {})).status).toBe(200)
    expect((await api(lab, 'POST', '/devices/nobody/watch', {})).status).toBe(404)
    expect((await api(lab, 'POST', `/devices/${id}/watch`, { forSec: 0 })).status).toBe(400)
    expect((await api(lab, 'POST', `/devices/${id}/watch`, { forSec: 60 })).status).toBe(200)
    for (const q of ['?since=x', '?limit=0x', '?after=-1', `?limit=${10 ** 9}`])
      expect((await api(lab, 'GET', `/devices/${id}/wire${q}`)).status, q).toBe(400)
    const notWatched = await api<{ error: { code: string } }>(lab, 'GET', '/devices/other/wire')
    expect(notWatched.body.error.code).toBe('not-watched')
    // A web page may not start a watch (Origin), nor read one.
    const port = Number(new URL(lab.controlUrl).port)
    const status = await new Promise<number>((resolve, reject) => {
      const req = request(
        {
          host: '127.0.0.1',
          port,
          method: 'POST',
          path: `/devices/${id}/watch`,
          headers: { origin: 'https://evil.example', 'content-type': 'application/json' },
        },
        (res) => {
          res.resume()
          resolve(res.statusCode ?? 0)
        },
      )
      req.on('error', reject)
      req.end('{}')
    })
    expect(status).toBe(403)
    // At most 16 devices watched at once.
    const ids = Array.from({ length: 16 }, (_, i) => `wired-many-${i}`)
    for (const x of ids) await register(x, {})
    const answers = []
    for (const x of ids) answers.push((await api(lab, 'POST', `/devices/${x}/watch`, {})).status)
    // This test's device and 15 more: the 16th of these is one too many.
    expect(answers.filter((s) => s === 429)).toHaveLength(1)
    expect(answers.at(-1)).toBe(429)
    for (const x of [id, ...ids]) await api(lab, 'DELETE', `/devices/${x}/watch`)
  })
})
