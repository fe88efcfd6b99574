import type { Client, Message } from 'azure-iot-device'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { api, testLab, waitFor } from '../support/lab'
import { connectHub, jsonMessage, provision, provisionIn } from '../support/sdk-device'

// The lab as the unmodified Azure device SDK sees it: provisioning, hub features, failover.

type Lab = Awaited<ReturnType<typeof testLab>>
let lab: Lab

beforeAll(async () => {
  lab = await testLab()
})
afterAll(async () => {
  await lab.stop()
})

const modelId = 'dtmi:Sample:Failover;1'

async function provisionAndConnect(deviceId: string): Promise<{ client: Client; hub: string }> {
  const hub = (await provisionIn(lab, deviceId, { payload: { iotcModelId: modelId } })).assignedHub
  const client = await connectHub({
    hub,
    deviceId,
    groupKey: lab.groupPrimaryKey,
    ca: lab.ca,
    modelId,
  })
  return { client, hub }
}

describe('the lab with the unmodified Azure SDK', () => {
  it('provisions with a group-derived key and echoes the payload', async () => {
    const reg = await provision({
      host: lab.dpsHost,
      idScope: lab.idScope,
      groupKey: lab.groupPrimaryKey,
      registrationId: 'sdk-prov',
      ca: lab.ca,
      payload: { iotcModelId: modelId },
    })
    expect(reg.status).toBe('assigned')
    expect(reg.deviceId).toBe('sdk-prov')
    expect([lab.hubs.a.host, lab.hubs.b.host]).toContain(reg.assignedHub)
    expect((reg as unknown as { payload: unknown }).payload).toEqual({ iotcModelId: modelId })
    const secondary = await provision({
      host: lab.dpsHost,
      idScope: lab.idScope,
      groupKey: lab.groupSecondaryKey,
      registrationId: 'sdk-prov',
      ca: lab.ca,
    })
    expect(secondary.status).toBe('assigned')
  })

  it('does telemetry, reported, desired, methods and C2D on the assigned hub', async () => {
    const { client } = await provisionAndConnect('sdk-dev')
    try {
      await client.sendEvent(
        jsonMessage({ temp: 21.5, humidity: 40 }, { seq: '1', 'odd key': 'a&b=c' }, 'sdk-dev-1'),
      )
      const tel = await api<{
        messages: {
          seq: number
          messageId: string
          body: unknown
          properties: Record<string, string>
          systemProperties: Record<string, string>
        }[]
      }>(lab, 'GET', '/devices/sdk-dev/telemetry')
      expect(tel.body.messages).toHaveLength(1)
      expect(tel.body.messages[0]).toMatchObject({
        seq: 1,
        messageId: 'sdk-dev-1',
        body: { temp: 21.5, humidity: 40 },
        properties: { seq: '1', 'odd key': 'a&b=c' },
        systemProperties: { '$.ct': 'application/json', '$.ce': 'utf-8' },
      })

      const twin = await client.getTwin()
      await new Promise<void>((resolve, reject) =>
        twin.properties.reported.update({ battery: 88 }, (e?: Error) =>
          e ? reject(e) : resolve(),
        ),
      )
      const again = await client.getTwin()
      await new Promise<void>((resolve, reject) =>
        again.get((e?: Error) => (e ? reject(e) : resolve())),
      )
      expect(again.properties.reported.battery).toBe(88)

      const desired = new Promise<Record<string, unknown>>((resolve) =>
        twin.on(
          'properties.desired',
          (d: Record<string, unknown>) => d.fanSpeed !== undefined && resolve(d),
        ),
      )
      await waitFor('desired subscription', async () =>
        (
          await api<{ subscriptions: string[] }>(lab, 'GET', '/devices/sdk-dev')
        ).body.subscriptions.includes('$iothub/twin/PATCH/properties/desired/#'),
      )
      const patched = await api<{ desired: { $version: number } }>(
        lab,
        'PATCH',
        '/devices/sdk-dev/twin/desired',
        { fanSpeed: 3 },
      )
      expect(patched.status).toBe(200)
      await expect(desired).resolves.toMatchObject({
        fanSpeed: 3,
        $version: patched.body.desired.$version,
      })

      client.onDeviceMethod(
        'echo',
        (req, res) =>
          void res.send(200, { response: (req.payload as { message: string }).message }),
      )
      await waitFor(
        'method subscription',
        async () =>
          (
            await api<{ status: number }>(lab, 'POST', '/devices/sdk-dev/methods', {
              methodName: 'echo',
              payload: { message: 'hi' },
              responseTimeoutInSeconds: 5,
            })
          ).body.status === 200,
      )
      const invoked = await api(lab, 'POST', '/devices/sdk-dev/methods', {
        methodName: 'echo',
        payload: { message: 'hello' },
      })
      expect(invoked.body).toEqual({ status: 200, payload: { response: 'hello' } })

      const received = new Promise<Message>((resolve) =>
        client.on('message', (m: Message) => {
          void client.complete(m)
          resolve(m)
        }),
      )
      const sent = await api<{ messageId: string }>(lab, 'POST', '/devices/sdk-dev/c2d', {
        body: { time: '07:30' },
        properties: { 'method-name': 'setAlarm' },
      })
      const msg = await received
      expect(JSON.parse(msg.getBytes().toString())).toEqual({ time: '07:30' })
      expect(msg.properties.getValue('method-name')).toBe('setAlarm')
      expect(msg.messageId).toBe(sent.body.messageId)
      await waitFor(
        'C2D completion',
        async () =>
          (await api<{ c2d: { state: string }[] }>(lab, 'GET', '/devices/sdk-dev')).body.c2d[0]
            ?.state === 'completed',
      )
    } finally {
      await client.close()
    }
  })

  it('keeps C2D for an offline device and delivers it on connect', async () => {
    const { client } = await provisionAndConnect('sdk-offline')
    await client.close()
    await api(lab, 'POST', '/devices/sdk-offline/c2d', { body: 'while away' })
    const { client: again } = await provisionAndConnect('sdk-offline')
    try {
      const msg = await new Promise<Message>((resolve) => again.on('message', resolve))
      expect(msg.getBytes().toString()).toBe('while away')
    } finally {
      await again.close()
    }
  })

  it('fails a device over with lizard-shaped responses, and back', async () => {
    const { client, hub: home } = await provisionAndConnect('sdk-fo')
    const other = home === lab.hubs.a.host ? lab.hubs.b.host : lab.hubs.a.host
    const dropped = new Promise<void>((resolve) => client.on('disconnect', () => resolve()))
    const fo = await api<{ hubIdentifier: string; message: string }>(
      lab,
      'POST',
      '/system/iothub/devices/sdk-fo/manual-failover',
      { ttl: 1 },
    )
    expect(fo.status).toBe(200)
    expect(fo.body.hubIdentifier).toMatch(/^[0-9a-f]{64}$/)
    expect(fo.body.message).toMatch(/^Success! This device is now being failed over/)
    await dropped
    await client.close()
    // The old hub refuses it now.
    await expect(
      connectHub({ hub: home, deviceId: 'sdk-fo', groupKey: lab.groupPrimaryKey, ca: lab.ca }),
    ).rejects.toThrow()
    const { client: moved, hub: newHub } = await provisionAndConnect('sdk-fo')
    expect(newHub).toBe(other)
    const movedDrop = new Promise<void>((resolve) => moved.on('disconnect', () => resolve()))
    const fb = await api<{ message: string }>(
      lab,
      'POST',
      '/system/iothub/devices/sdk-fo/manual-failback',
    )
    expect(fb.body.message).toBe('Device has successfully failed back to its original hub')
    await movedDrop
    await moved.close()
    const { client: home2, hub: back } = await provisionAndConnect('sdk-fo')
    expect(back).toBe(home)
    await home2.close()
  })
})

describe('bad input', () => {
  it('refuses a wrong group key with 401, an unknown scope with 404, and keeps serving', async () => {
    const wrongKey = Buffer.alloc(64, 7).toString('base64')
    await expect(
      provision({
        host: lab.dpsHost,
        idScope: lab.idScope,
        groupKey: wrongKey,
        registrationId: 'bad-key',
        ca: lab.ca,
      }),
    ).rejects.toMatchObject({ name: 'UnauthorizedError' })
    await expect(
      provision({
        host: lab.dpsHost,
        idScope: '0neFFFFFFFF',
        groupKey: lab.groupPrimaryKey,
        registrationId: 'bad-scope',
        ca: lab.ca,
      }),
    ).rejects.toMatchObject({ name: 'DeviceNotFoundError' })
    const ok = await provision({
      host: lab.dpsHost,
      idScope: lab.idScope,
      groupKey: lab.groupPrimaryKey,
      registrationId: 'after-bad',
      ca: lab.ca,
    })
    expect(ok.status).toBe('assigned')
  })

  it('answers malformed control requests with clear 4xx errors', async () => {
    const cases: [string, string, unknown, number, string][] = [
      ['POST', '/system/iothub/devices/nobody/manual-failover', {}, 404, 'device-not-found'],
      ['POST', '/system/iothub/devices/after-bad/manual-failover', { ttl: 99 }, 400, 'bad-request'],
      ['POST', '/system/iothub/devices/after-bad/manual-failover', '{not json', 400, 'bad-json'],
      ['POST', '/devices/after-bad/methods', { payload: 1 }, 400, 'bad-request'],
      ['PATCH', '/devices/after-bad/twin/desired', {}, 400, 'bad-request'],
      ['POST', '/devices/after-bad/c2d', { properties: { a: 1 } }, 400, 'bad-request'],
      ['POST', '/hubs/c/kill', undefined, 404, 'hub-not-found'],
      ['GET', '/nothing-here', undefined, 404, 'not-found'],
      ['GET', '/devices/%E0%A4%A', undefined, 400, 'bad-path'],
      ['DELETE', '/devices', undefined, 405, 'method-not-allowed'],
      [
        'POST',
        '/devices/after-bad/methods',
        JSON.stringify({ methodName: 'echo', payload: 'x'.repeat(3 << 20) }),
        413,
        'too-large',
      ],
    ]
    for (const [method, path, body, status, code] of cases) {
      const r = await api<{ error: { code: string; message: string } }>(lab, method, path, body)
      expect({ path, status: r.status, code: r.body.error?.code }).toEqual({ path, status, code })
      expect(r.body.error.message.length).toBeGreaterThan(5)
    }
    expect((await api(lab, 'GET', '/health')).body).toMatchObject({ ok: true })
  })
})
