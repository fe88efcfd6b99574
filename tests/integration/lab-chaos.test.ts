import { execFile } from 'node:child_process'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { connect as tcpConnect, createServer as createTcpServer } from 'node:net'
import { connect as tlsConnect } from 'node:tls'
import { promisify } from 'node:util'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { WebSocket } from 'ws'
import {
  api,
  connacked,
  hubToken as labHubToken,
  rawDpsClient as labRawDpsClient,
  rawHubClient as labRawHubClient,
  testLab,
  waitFor,
} from '../support/lab'
import { connectHub, jsonMessage, provision, provisionIn } from '../support/sdk-device'

type Lab = Awaited<ReturnType<typeof testLab>>
let lab: Lab

beforeAll(async () => {
  lab = await testLab({ dpsRetryAfterSec: 0 })
})
afterAll(async () => {
  await lab.stop()
})

const run = promisify(execFile)
function lizard(...args: string[]) {
  return run(process.execPath, ['bin/lizard.js', ...args], {
    env: { ...process.env, LIZARD_URL: lab.controlUrl },
  })
}

const register = async (deviceId: string) => (await provisionIn(lab, deviceId)).assignedHub
const hubToken = (host: string, deviceId: string, se?: number) =>
  labHubToken(lab, host, deviceId, se)
const rawDpsClient = (reg: string, se: number) => labRawDpsClient(lab, reg, se)
const rawHubClient = (
  host: string,
  deviceId: string,
  opts: { keepalive?: number; password?: string } = {},
) => labRawHubClient(lab, host, deviceId, opts)

function tcpOutcome(port: number): Promise<'refused' | 'accepted'> {
  return new Promise((resolve) => {
    const s = tcpConnect(port, '127.0.0.1')
    s.once('connect', () => {
      s.destroy()
      resolve('accepted')
    })
    s.once('error', () => resolve('refused'))
  })
}

function tlsHandshakes(port: number, withinMs: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = tlsConnect({ port, host: '127.0.0.1', ca: lab.ca })
    const timer = setTimeout(() => {
      s.destroy()
      resolve(false)
    }, withinMs)
    s.once('secureConnect', () => {
      clearTimeout(timer)
      s.destroy()
      resolve(true)
    })
    s.once('error', () => {
      clearTimeout(timer)
      resolve(false)
    })
  })
}

describe('lizard failover and failback', () => {
  it('moves an SDK device to the other hub and home again', async () => {
    const home = await register('liz-dev')
    const other = home === lab.hubs.a.host ? lab.hubs.b.host : lab.hubs.a.host
    const client = await connectHub({
      hub: home,
      deviceId: 'liz-dev',
      groupKey: lab.groupPrimaryKey,
      ca: lab.ca,
    })
    const dropped = new Promise<void>((resolve) => client.on('disconnect', () => resolve()))
    const out = await lizard('failover', 'liz-dev', '--ttl', '2')
    expect(out.stdout).toMatch(/Success! This device is now being failed over/)
    await dropped
    await client.close()
    await expect(
      connectHub({ hub: home, deviceId: 'liz-dev', groupKey: lab.groupPrimaryKey, ca: lab.ca }),
    ).rejects.toThrow()
    expect(await register('liz-dev')).toBe(other)
    const moved = await connectHub({
      hub: other,
      deviceId: 'liz-dev',
      groupKey: lab.groupPrimaryKey,
      ca: lab.ca,
    })
    await moved.sendEvent(jsonMessage({ temp: 1 }, { seq: '1' }, 'liz-dev-1'))
    const listed = JSON.parse((await lizard('devices', '--json')).stdout) as {
      deviceId: string
      failedOverUntil: string | null
      connectedTo: string
    }[]
    expect(listed.find((d) => d.deviceId === 'liz-dev')).toMatchObject({
      connectedTo: other === lab.hubs.a.host ? 'a' : 'b',
    })
    expect(listed.find((d) => d.deviceId === 'liz-dev')?.failedOverUntil).not.toBeNull()

    const movedDrop = new Promise<void>((resolve) => moved.on('disconnect', () => resolve()))
    expect((await lizard('failback', 'liz-dev')).stdout).toMatch(/successfully failed back/)
    await movedDrop
    await moved.close()
    expect(await register('liz-dev')).toBe(home)
  })

  it('prints one clear line and exits non-zero for an unknown device or a dead lab', async () => {
    await expect(lizard('failover', 'nobody-here')).rejects.toMatchObject({
      code: 1,
      stderr: expect.stringMatching(/^lizard: No device "nobody-here"/),
    })
    await expect(
      run(process.execPath, ['bin/lizard.js', 'devices'], {
        env: { ...process.env, LIZARD_URL: 'http://127.0.0.1:9' },
      }),
    ).rejects.toMatchObject({ code: 1, stderr: expect.stringMatching(/no lab answers/) })
    await expect(lizard('failover')).rejects.toMatchObject({ code: 2 })
    for (const [args, said] of [
      [['failover', 'x', '--ttl', '0'], /--ttl takes 1 to 30/],
      [['invoke', 'x', 'echo', '--timeout', '1000'], /--timeout takes 5 to 300/],
      [['invoke', 'x', 'echo', '--timeout', '0'], /--timeout takes 5 to 300/],
      [['dps', 'throttle', '--retry-after', '99999'], /--retry-after takes 0 to 3600/],
      [['stats', 'x', 'y'], /usage: lizard stats/],
      [['devices', '--url', 'notaurl'], /--url must be the lab's http:\/\/ address/],
    ] as const)
      await expect(lizard(...args)).rejects.toMatchObject({
        code: 2,
        stderr: expect.stringMatching(said),
      })
    lab.state.register('registered-offline')
    await expect(lizard('invoke', 'registered-offline', 'echo', '{}')).rejects.toMatchObject({
      code: 1,
      stderr: expect.stringMatching(/^lizard: registered-offline: .*not online/),
    })
  })
})

describe('npm run lab', () => {
  it('refuses an unknown option, or a ttl or retry-after that is not a number, instead of starting a lab that quietly misbehaves', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'lab-args-'))
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
    try {
      for (const [bad, said] of [
        [['--ttl', 'abc'], /^lab: --ttl takes/],
        [['--ttl', '0'], /^lab: --ttl takes/],
        [['--retry-after', 'soon'], /^lab: --retry-after takes/],
        [['--bogus', '1'], /^lab: unknown option --bogus/],
      ] as const) {
        const started = run(
          process.execPath,
          ['--import', 'tsx', 'lab/main.ts', '--data-dir', dir, ...ports, ...bad],
          { timeout: 8000 },
        )
        await expect(started).rejects.toMatchObject({
          code: 2,
          stderr: expect.stringMatching(said),
        })
      }
    } finally {
      rmSync(dir, { recursive: true, force: true })
    }
  })
})

describe('chaos', () => {
  it('a killed hub refuses TCP and drops its devices; restored, it serves again', async () => {
    const port = lab.hubs.a.port
    const dev = 'chaos-kill'
    lab.state.register(dev) // registered; its home does not matter to the TCP checks
    const c = rawHubClient(lab.hubs[lab.state.devices.get(dev)!.homeHub].host, dev)
    await connacked(c)
    const closed = new Promise<void>((resolve) => c.once('close', () => resolve()))
    await lizard('hub', lab.state.devices.get(dev)!.homeHub, 'kill')
    await closed
    c.end(true)
    await lizard('hub', lab.state.devices.get(dev)!.homeHub === 'a' ? 'b' : 'a', 'kill')
    expect(await tcpOutcome(port)).toBe('refused')
    await api(lab, 'POST', '/hubs/a/restore')
    await api(lab, 'POST', '/hubs/b/restore')
    expect(await tlsHandshakes(port, 2000)).toBe(true)
  })

  it('a blackholed hub accepts TCP and never answers, even on open connections', async () => {
    const dev = 'chaos-bh'
    lab.state.register(dev)
    const hub = lab.state.devices.get(dev)!.homeHub
    const c = rawHubClient(lab.hubs[hub].host, dev, { keepalive: 1 })
    await connacked(c)
    let serverClosed = false
    c.stream.once('end', () => (serverClosed = true))
    await api(lab, 'POST', `/hubs/${hub}/blackhole`)
    expect(await tcpOutcome(lab.hubs[hub].port)).toBe('accepted')
    expect(await tlsHandshakes(lab.hubs[hub].port, 1000)).toBe(false)
    // The open connection goes silent: no PUBACK, no PINGRESP; the device's keep-alive notices.
    let acked = false
    c.publish(`devices/${dev}/messages/events/`, 'x', { qos: 1 }, () => (acked = true))
    await new Promise<void>((resolve) => c.once('close', () => resolve()))
    expect(acked).toBe(false)
    expect(serverClosed).toBe(false)
    c.end(true)
    await api(lab, 'POST', `/hubs/${hub}/restore`)
    const again = rawHubClient(lab.hubs[hub].host, dev)
    await connacked(again)
    again.end(true)
  })

  it('DPS throttled answers 429 until restored; the SDK then completes', async () => {
    await api(lab, 'POST', '/dps/throttle', { retryAfter: 1 })
    const started = Date.now()
    const reg = register('chaos-throttle')
    await new Promise((r) => setTimeout(r, 1500))
    await api(lab, 'POST', '/dps/restore')
    await expect(reg).resolves.toMatch(/^127\.0\.0\.1:/)
    expect(Date.now() - started).toBeGreaterThanOrEqual(1500)
  })

  it('DPS stopped accepts TCP and never answers; restored, it serves', async () => {
    await api(lab, 'POST', '/dps/stop')
    const port = Number(lab.dpsHost.split(':')[1])
    expect(await tcpOutcome(port)).toBe('accepted')
    expect(await tlsHandshakes(port, 1000)).toBe(false)
    await api(lab, 'POST', '/dps/restore')
    await expect(register('chaos-dps-back')).resolves.toMatch(/^127\.0\.0\.1:/)
  })
})

describe('IoT Hub rules', () => {
  it('refuses an expired token (CONNACK 5) and a device on the wrong hub', async () => {
    const dev = 'rules-dev'
    const home = await register(dev)
    const other = home === lab.hubs.a.host ? lab.hubs.b.host : lab.hubs.a.host
    const expired = rawHubClient(home, dev, {
      password: hubToken(home, dev, Math.floor(Date.now() / 1000) - 10),
    })
    await expect(connacked(expired)).rejects.toMatchObject({ code: 5 })
    expired.end(true)
    const wrong = rawHubClient(other, dev)
    await expect(connacked(wrong)).rejects.toMatchObject({ code: 5 })
    wrong.end(true)
  })

  it("never lets a device subscribe to or publish on another device's topics", async () => {
    const [a, b] = ['rules-a', 'rules-b']
    const ha = await register(a)
    await register(b)
    const c = rawHubClient(ha, a)
    await connacked(c)
    const own = await c.subscribeAsync(`devices/${a}/messages/devicebound/#`, { qos: 1 })
    expect(own.map((g) => g.qos)).toEqual([1])
    await expect(
      c.subscribeAsync(`devices/${b}/messages/devicebound/#`, { qos: 1 }),
    ).rejects.toThrow(/Subscribe error/)
    const closed = new Promise<void>((resolve) => c.once('close', () => resolve()))
    c.publish(`devices/${b}/messages/events/`, 'spoof', { qos: 1 })
    await closed
    c.end(true)
    const tel = await api<{ stats: { count: number } }>(lab, 'GET', `/devices/${b}/telemetry`)
    expect(tel.body.stats.count).toBe(0)
  })

  it('rejects an expired DPS token with 401', async () => {
    const reg = 'rules-dps-expired'
    const c = rawDpsClient(reg, Math.floor(Date.now() / 1000) - 5)
    await connacked(c)
    await c.subscribeAsync('$dps/registrations/res/#', { qos: 1 })
    const reply = new Promise<string>((resolve) => c.on('message', (topic) => resolve(topic)))
    c.publish(
      '$dps/registrations/PUT/iotdps-register/?$rid=1',
      JSON.stringify({ registrationId: reg }),
    )
    expect(await reply).toMatch(/^\$dps\/registrations\/res\/401\//)
    c.end(true)
  })

  it('keeps one DPS operation per device: registering again abandons the earlier one', async () => {
    const reg = 'rules-dps-again'
    const c = rawDpsClient(reg, Math.floor(Date.now() / 1000) + 3600)
    await connacked(c)
    await c.subscribeAsync('$dps/registrations/res/#', { qos: 1 })
    const replies = new Map<string, { status: string; body: { operationId?: string } }>()
    c.on('message', (topic, payload) => {
      const m = /^\$dps\/registrations\/res\/(\d+)\/\?\$rid=([^&]+)/.exec(topic)
      if (m)
        replies.set(m[2]!, {
          status: m[1]!,
          body: JSON.parse(payload.toString()) as { operationId?: string },
        })
    })
    const ask = async (rid: string, topic: string, body = '') => {
      c.publish(topic.replace('{rid}', rid), body)
      await waitFor(`DPS reply ${rid}`, () => replies.has(rid))
      return replies.get(rid)!
    }
    const register = (rid: string) =>
      ask(
        rid,
        '$dps/registrations/PUT/iotdps-register/?$rid={rid}',
        JSON.stringify({ registrationId: reg }),
      )
    const poll = (rid: string, op: string) =>
      ask(rid, `$dps/registrations/GET/iotdps-get-operationstatus/?$rid={rid}&operationId=${op}`)
    const first = await register('1')
    const second = await register('2')
    expect([first.status, second.status]).toEqual(['202', '202'])
    expect((await poll('3', first.body.operationId!)).status).toBe('404')
    expect((await poll('4', second.body.operationId!)).status).toBe('200')
    c.end(true)
  })
})

describe('MQTT over WebSockets on 443', () => {
  it('serves the SDK WebSocket transport, or says why not', async (ctx) => {
    const wsLab = await testLab({ webSockets: true })
    try {
      if (!wsLab.webSockets.enabled) {
        expect(wsLab.webSockets.reason.length).toBeGreaterThan(5)
        return ctx.skip()
      }
      const { provisionWs, connectHubWs } = await import('../support/sdk-device-ws')
      const hub = await provisionWs({
        idScope: wsLab.idScope,
        groupKey: wsLab.groupPrimaryKey,
        registrationId: 'ws-dev',
        ca: wsLab.ca,
      })
      expect(['127.0.0.2', '127.0.0.3']).toContain(hub)
      const client = await connectHubWs({
        hub,
        deviceId: 'ws-dev',
        groupKey: wsLab.groupPrimaryKey,
        ca: wsLab.ca,
      })
      await client.sendEvent(jsonMessage({ temp: 2 }, { seq: '7' }, 'ws-dev-7'))
      await waitFor(
        'telemetry over WebSockets',
        async () =>
          (await api<{ stats: { count: number } }>(wsLab, 'GET', '/devices/ws-dev/telemetry')).body
            .stats.count === 1,
      )
      await client.close()

      // A web page in the user's browser sends an Origin (and, through DNS rebinding, its own
      // Host): neither may open a device link, even to a lab certificate the browser trusts.
      const refusal = (headers: Record<string, string>) =>
        new Promise<number>((resolve, reject) => {
          const sock = new WebSocket('wss://127.0.0.2/$iothub/websocket', 'mqtt', {
            ca: wsLab.ca,
            headers,
          })
          sock.on('unexpected-response', (_req, res) => {
            resolve(res.statusCode ?? 0)
            sock.terminate()
          })
          sock.on('open', () => {
            sock.terminate()
            reject(new Error('upgrade accepted'))
          })
          sock.on('error', () => {})
        })
      expect(await refusal({ Origin: 'https://evil.example' })).toBe(403)
      expect(await refusal({ Origin: 'null' })).toBe(403)
      expect(await refusal({ Host: 'evil.example' })).toBe(421)
    } finally {
      await wsLab.stop()
    }
  })

  it('starts without WebSockets, saying why, when port 443 is taken or not allowed', async () => {
    // Holding 443 ourselves makes it taken; where we may not bind it, the lab may not either.
    const holder = createTcpServer()
    const held = await new Promise<boolean>((resolve) => {
      holder.once('error', () => resolve(false))
      holder.listen(443, '127.0.0.1', () => resolve(true))
    })
    try {
      const blocked = await testLab({ webSockets: true })
      try {
        expect(blocked.webSockets).toEqual({
          enabled: false,
          reason: held ? 'port 443 is already in use' : expect.stringMatching(/443/),
        })
        // And serves MQTT as ever.
        const reg = await provision({
          host: blocked.dpsHost,
          idScope: blocked.idScope,
          groupKey: blocked.groupPrimaryKey,
          registrationId: 'ws-blocked',
          ca: blocked.ca,
        })
        expect([blocked.hubs.a.host, blocked.hubs.b.host]).toContain(reg.assignedHub)
      } finally {
        await blocked.stop()
      }
    } finally {
      if (held) await new Promise((r) => holder.close(r))
    }
  })
})
