import type { Client } from 'azure-iot-device'
import { execFile } from 'node:child_process'
import { promisify } from 'node:util'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { api, testLab, waitFor } from '../support/lab'
import { connectHub, jsonMessage, provisionIn } from '../support/sdk-device'

// The seed's outage with the unmodified Azure SDK: a hub dies, DPS notices and names the other
// hub, the hub returns, DPS rebalances and the device goes home, losing nothing on the way.

type Lab = Awaited<ReturnType<typeof testLab>>
let lab: Lab

beforeAll(async () => {
  lab = await testLab({ dpsDetectSec: 1, rebalanceSec: 1 })
})
afterAll(async () => {
  await lab.stop()
})

type Hub = 'a' | 'b'
interface HubView {
  mode: string
  dps: {
    state: string
    available: boolean
    detectAt: string | null
    rebalanceAt: string | null
    unaware: boolean
  }
  outage: { restoreAt: string; plan: { at: string; event: string; text: string }[] } | null
}

const run = promisify(execFile)
const lizard = (...args: string[]) =>
  run(process.execPath, ['bin/lizard.js', ...args], {
    env: { ...process.env, LIZARD_URL: lab.controlUrl },
  })

const other = (h: Hub): Hub => (h === 'a' ? 'b' : 'a')
const hubOf = (host: string): Hub => (host === lab.hubs.a.host ? 'a' : 'b')
const hubView = async (h: Hub) => (await api<HubView>(lab, 'GET', `/hubs/${h}`)).body

async function register(deviceId: string) {
  const r = await provisionIn(lab, deviceId)
  return {
    hub: hubOf(r.assignedHub),
    host: r.assignedHub,
    substatus: (r as unknown as { substatus: string }).substatus,
  }
}

/** Provisions and connects, sends `seq`, and waits until the lab has it from that hub. */
async function connectAndSend(
  deviceId: string,
  seq: number,
): Promise<{ client: Client; hub: Hub; substatus: string }> {
  const reg = await register(deviceId)
  const client = await connectHub({
    hub: reg.host,
    deviceId,
    groupKey: lab.groupPrimaryKey,
    ca: lab.ca,
  })
  await client.sendEvent(jsonMessage({ temp: seq }, { seq: String(seq) }, `${deviceId}-${seq}`))
  return { client, hub: reg.hub, substatus: reg.substatus }
}

const dropped = (client: Client) =>
  new Promise<void>((resolve) => client.once('disconnect', () => resolve()))

async function telemetryStats(deviceId: string) {
  return (
    await api<{ stats: { count: number; missing: number[]; duplicates: number } }>(
      lab,
      'GET',
      `/devices/${deviceId}/telemetry`,
    )
  ).body.stats
}

describe.each([['kill'], ['blackhole']] as const)('a home hub that is %sed', (action) => {
  it('is named by DPS until detection, then DPS names the other hub; restored and rebalanced, the device goes home', async () => {
    const id = `outage-${action}`
    const first = await connectAndSend(id, 1)
    const home = first.hub
    expect(first.substatus).toBe('initialAssignment')
    await first.client.close()

    const down = await api<HubView>(lab, 'POST', `/hubs/${home}/${action}`, { dpsDetect: 2 })
    expect(down.body).toMatchObject({
      mode: action === 'kill' ? 'killed' : 'blackholed',
      dps: { state: 'detecting', available: true },
    })
    // DPS has not noticed yet: it still names the dead hub.
    expect((await register(id)).hub).toBe(home)
    await waitFor(
      'DPS to notice the dead hub',
      async () => (await hubView(home)).dps.state === 'unavailable',
    )
    const devices = await api<{ deviceId: string; dpsAssigns: Hub; dpsReason: string }[]>(
      lab,
      'GET',
      '/devices',
    )
    expect(devices.body.find((d) => d.deviceId === id)).toMatchObject({
      dpsAssigns: other(home),
      dpsReason: 'home-unavailable',
    })

    const away = await connectAndSend(id, 2)
    expect([away.hub, away.substatus]).toEqual([other(home), 'deviceDataMigrated'])

    const evicted = dropped(away.client)
    const back = await api<HubView>(lab, 'POST', `/hubs/${home}/restore`)
    expect(back.body).toMatchObject({ mode: 'up', dps: { state: 'rebalancing', available: false } })
    // Until the rebalance, the surviving hub keeps the device and DPS keeps naming it.
    expect((await register(id)).hub).toBe(other(home))
    await evicted
    await away.client.close()
    expect((await hubView(home)).dps).toMatchObject({ state: 'available', available: true })

    const again = await connectAndSend(id, 3)
    expect([again.hub, again.substatus]).toEqual([home, 'reprovisionedToInitialAssignment'])
    await again.client.close()
    expect(await telemetryStats(id)).toMatchObject({ count: 3, missing: [], duplicates: 0 })
  })
})

describe('hub health as DPS sees it', () => {
  it('keeps naming a dead hub when DPS is not told (dps-unaware), and the device returns on restore', async () => {
    const id = 'outage-unaware'
    const { hub: home } = await register(id)
    await api(lab, 'POST', `/hubs/${home}/kill`, { dpsUnaware: true, dpsDetect: 0 })
    expect((await hubView(home)).dps).toMatchObject({ state: 'available', unaware: true })
    expect((await register(id)).hub).toBe(home)
    await api(lab, 'POST', `/hubs/${home}/restore`)
    expect((await hubView(home)).dps).toMatchObject({ state: 'available', unaware: false })
    const back = await connectAndSend(id, 1)
    expect(back.hub).toBe(home)
    await back.client.close()
  })

  it('answers a failed registration while no hub is available, and assigns again when one returns', async () => {
    const id = 'outage-both'
    await register(id)
    await api(lab, 'POST', '/hubs/a/kill', { dpsDetect: 0 })
    await api(lab, 'POST', '/hubs/b/kill', { dpsDetect: 0 })
    try {
      const refused = await register(id).then(
        () => null,
        (e: unknown) =>
          e as {
            name: string
            result?: {
              status: string
              registrationState: { errorCode: number; errorMessage: string }
            }
          },
      )
      expect(refused?.name).toBe('ProvisioningRegistrationFailedError')
      expect(refused?.result).toMatchObject({
        status: 'failed',
        registrationState: {
          errorCode: 503201,
          errorMessage: expect.stringMatching(/No linked IoT hub/),
        },
      })
      await api(lab, 'POST', '/hubs/b/restore', { rebalance: 0 })
      expect((await register(id)).hub).toBe('b')
    } finally {
      await api(lab, 'POST', '/hubs/a/restore', { rebalance: 0 })
      await api(lab, 'POST', '/hubs/b/restore', { rebalance: 0 })
    }
  })

  it('leaves a manually failed-over device its ttl, and sends it where it belongs while its hub is down', async () => {
    const id = 'outage-manual'
    const { hub: home } = await register(id)
    await api(lab, 'POST', `/system/iothub/devices/${id}/manual-failover`, { ttl: 5 })
    const until = (await api<{ failedOverUntil: string }>(lab, 'GET', `/devices/${id}`)).body
      .failedOverUntil
    expect((await register(id)).hub).toBe(other(home))
    await api(lab, 'POST', `/hubs/${other(home)}/kill`, { dpsDetect: 0 })
    const onHome = await connectAndSend(id, 1)
    expect(onHome.hub).toBe(home)
    const evicted = dropped(onHome.client)
    await api(lab, 'POST', `/hubs/${other(home)}/restore`, { rebalance: 0 })
    await evicted
    await onHome.client.close()
    expect((await register(id)).hub).toBe(other(home))
    expect(
      (await api<{ failedOverUntil: string }>(lab, 'GET', `/devices/${id}`)).body.failedOverUntil,
    ).toBe(until)
    await api(lab, 'POST', `/system/iothub/devices/${id}/manual-failback`)
  })

  it('re-homes a device for good: it is dropped, and DPS names the new home with deviceDataReset', async () => {
    const id = 'outage-rehome'
    const first = await connectAndSend(id, 1)
    const evicted = dropped(first.client)
    const r = await api<{ homeHub: Hub; previousHomeHub: Hub }>(
      lab,
      'POST',
      `/devices/${id}/rehome`,
      { hub: other(first.hub) },
    )
    expect(r.body).toMatchObject({ homeHub: other(first.hub), previousHomeHub: first.hub })
    await evicted
    await first.client.close()
    // Its old hub no longer takes it, even before it asks DPS.
    await expect(
      connectHub({
        hub: lab.hubs[first.hub].host,
        deviceId: id,
        groupKey: lab.groupPrimaryKey,
        ca: lab.ca,
      }),
    ).rejects.toThrow()
    const moved = await register(id)
    expect([moved.hub, moved.substatus]).toEqual([other(first.hub), 'deviceDataReset'])
    expect((await register(id)).substatus).toBe('initialAssignment')
    expect((await api(lab, 'POST', `/devices/${id}/rehome`, { hub: 'c' })).status).toBe(400)
  })
})

describe('lizard outage', () => {
  it('tells the whole story with clock times, shows it in progress, and a restore cancels it', async () => {
    const out = await lizard('outage', 'b', '--for', '2', '--dps-detect', '0', '--rebalance', '1')
    expect(out.stdout).toMatch(/^Outage of hub B/)
    expect(out.stdout).toMatch(/\d\d:\d\d:\d\d {2}hub B is killed/)
    expect(out.stdout).toMatch(/\d\d:\d\d:\d\d {2}DPS stops naming hub B/)
    expect(out.stdout).toMatch(/\d\d:\d\d:\d\d {2}hub B is restored/)
    expect(out.stdout).toMatch(/\d\d:\d\d:\d\d {2}DPS names hub B again/)
    const during = await hubView('b')
    expect(during).toMatchObject({
      mode: 'killed',
      dps: { state: 'unavailable' },
      outage: { restoreAt: expect.any(String) },
    })
    expect((await lizard('devices')).stdout).toMatch(
      /^B .*outage until \d\d:\d\d:\d\d.*does not name it/m,
    )
    await waitFor('the restore', async () => (await hubView('b')).mode === 'up', 10_000)
    expect((await hubView('b')).dps.state).toBe('rebalancing')
    await waitFor(
      'the rebalance',
      async () => (await hubView('b')).dps.state === 'available',
      10_000,
    )
    expect((await hubView('b')).outage).toBeNull()

    // A second outage replaces the first; a manual restore ends it and cancels its schedule.
    await api(lab, 'POST', '/hubs/a/outage', { for: 60, dpsDetect: 30 })
    const replaced = await api<HubView>(lab, 'POST', '/hubs/a/outage', {
      for: 120,
      mode: 'blackhole',
      dpsDetect: 30,
    })
    expect(replaced.body).toMatchObject({ mode: 'blackholed', outage: { plan: expect.any(Array) } })
    expect(Date.parse(replaced.body.outage!.restoreAt) - Date.now()).toBeGreaterThan(100_000)
    const restored = await api<HubView>(lab, 'POST', '/hubs/a/restore')
    expect(restored.body).toMatchObject({ mode: 'up', outage: null, dps: { state: 'available' } })
  })

  it('is shown by lizard --help as the way to watch a data-center loss', async () => {
    const help = (await run(process.execPath, ['bin/lizard.js', '--help'])).stdout
    expect(help).toMatch(/Watch a data center die and come back[\s\S]*outage <a\|b> \[--for SEC\]/)
    expect(help).toMatch(/command <deviceId> <name> \[json\]/)
  })
})
