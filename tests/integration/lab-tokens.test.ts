import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import {
  api,
  closed,
  connacked,
  hubToken,
  rawDpsClient,
  rawHubClient,
  testLab,
  waitFor,
} from '../support/lab'
import { connectHub, jsonMessage, provisionIn } from '../support/sdk-device'

// SAS token lifetimes as IoT Hub enforces them, and DPS's chaos switch for a takeover.

type Lab = Awaited<ReturnType<typeof testLab>>
let lab: Lab
const logs: string[] = []

beforeAll(async () => {
  lab = await testLab({ maxTokenLifetimeSec: 20, log: (line) => logs.push(line) })
})
afterAll(async () => {
  await lab.stop()
})

const now = () => Math.floor(Date.now() / 1000)

const registered = async (deviceId: string) => (await provisionIn(lab, deviceId)).assignedHub

describe('SAS token lifetime at the hubs', () => {
  it('drops a connection when the token it connected with expires', async () => {
    const host = await registered('tok-expiry')
    const c = rawHubClient(lab, host, 'tok-expiry', {
      password: hubToken(lab, host, 'tok-expiry', now() + 2),
    })
    await connacked(c)
    const connectedAt = Date.now()
    await closed(c)
    expect(Date.now() - connectedAt).toBeGreaterThan(500)
    c.end(true)
    expect(logs).toContainEqual(
      expect.stringMatching(/disconnecting tok-expiry \(its SAS token expired\)/),
    )
  })

  it('refuses a token that lives longer than the lab allows, and takes one that does not', async () => {
    const host = await registered('tok-long')
    const long = rawHubClient(lab, host, 'tok-long', {
      password: hubToken(lab, host, 'tok-long', now() + 3600),
    })
    await expect(connacked(long)).rejects.toMatchObject({ code: 5 })
    long.end(true)
    const short = rawHubClient(lab, host, 'tok-long', {
      password: hubToken(lab, host, 'tok-long', now() + 15),
    })
    await connacked(short)
    short.end(true)
  })

  it('lets the SDK renew by reconnecting before expiry: the link lives on with its subscriptions', async () => {
    const host = await registered('tok-renew')
    // 6 s tokens renewed 3 s early: a DISCONNECT and a new CONNECT every 3 s, no re-subscribe.
    const client = await connectHub({
      hub: host,
      deviceId: 'tok-renew',
      groupKey: lab.groupPrimaryKey,
      ca: lab.ca,
      tokenSec: 6,
      renewMarginSec: 3,
    })
    try {
      client.onDeviceMethod('echo', (req, res) => void res.send(200, req.payload))
      const connects = () => logs.filter((l) => / tok-renew connected$/.test(l)).length
      await waitFor('three renewals', () => connects() >= 4, 30_000)
      const r = await api<{ status: number }>(lab, 'POST', '/devices/tok-renew/methods', {
        methodName: 'echo',
        payload: 1,
        responseTimeoutInSeconds: 5,
      })
      expect(r.body.status).toBe(200)
      await client.sendEvent(jsonMessage({ temp: 1 }, { seq: '1' }, 'tok-renew-1'))
      expect(logs.filter((l) => /tok-renew \(its SAS token expired\)/.test(l))).toEqual([])
    } finally {
      await client.close()
    }
  })
})

describe('DPS drop-after-connack', () => {
  it('closes the next N registration connections after CONNACK and before SUBACK', async () => {
    const set = await api<{ dropAfterConnack: number }>(lab, 'POST', '/dps/drop-after-connack', {
      count: 2,
    })
    expect(set.body).toEqual({ dropAfterConnack: 2 })
    for (let i = 0; i < 2; i++) {
      const c = rawDpsClient(lab, 'dropped-reg')
      await connacked(c)
      const gone = closed(c)
      await expect(c.subscribeAsync('$dps/registrations/res/#', { qos: 1 })).rejects.toThrow()
      await gone
      c.end(true)
    }
    expect(
      (await api<{ dps: { dropAfterConnack: number } }>(lab, 'GET', '/lab')).body.dps
        .dropAfterConnack,
    ).toBe(0)
    expect(await registered('dropped-reg')).toMatch(/^127\.0\.0\.1:/)
    expect((await api(lab, 'POST', '/dps/drop-after-connack', { count: -1 })).status).toBe(400)
  })
})
