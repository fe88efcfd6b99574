import type { Message } from 'azure-iot-device'
import { execFile, spawn } from 'node:child_process'
import { mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs'
import { request } from 'node:http'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { promisify } from 'node:util'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { findLabs } from '../../lab/discovery'
import { startLab } from '../../lab/index'
import { api, testLab } from '../support/lab'
import { connectHub, provisionIn } from '../support/sdk-device'

// The control API answers programs of this user, not web pages; several labs live side by side.

type Lab = Awaited<ReturnType<typeof testLab>>
let lab: Lab
let port: number

beforeAll(async () => {
  lab = await testLab()
  port = Number(new URL(lab.controlUrl).port)
})
afterAll(async () => {
  await lab.stop()
})

const run = promisify(execFile)

/** A raw request, so Host and Origin are what a browser or a rebinding page would send. */
function raw(
  method: string,
  path: string,
  headers: Record<string, string>,
  body?: string,
  target = port,
): Promise<{
  status: number
  headers: Record<string, unknown>
  body: { error?: { code: string } }
}> {
  return new Promise((resolve, reject) => {
    const req = request(
      { host: '127.0.0.1', port: target, method, path, headers, setHost: !('host' in headers) },
      (res) => {
        const chunks: Buffer[] = []
        res.on('data', (c: Buffer) => chunks.push(c))
        res.on('end', () =>
          resolve({
            status: res.statusCode ?? 0,
            headers: res.headers,
            body: JSON.parse(Buffer.concat(chunks).toString() || 'null') as {
              error?: { code: string }
            },
          }),
        )
      },
    )
    req.on('error', reject)
    req.end(body)
  })
}

describe('the control API is local to this user', () => {
  it('refuses a foreign or null Origin with 403, and changes nothing', async () => {
    for (const origin of ['https://evil.example', 'null', `http://127.0.0.1:${port + 1}`]) {
      const r = await raw(
        'POST',
        '/hubs/a/kill',
        { origin, 'content-type': 'application/json' },
        '{}',
      )
      expect({ origin, status: r.status, code: r.body.error?.code }).toEqual({
        origin,
        status: 403,
        code: 'foreign-origin',
      })
    }
    expect((await api<{ mode: string }>(lab, 'GET', '/hubs/a')).body.mode).toBe('up')
    expect((await raw('GET', '/health', { origin: `http://localhost:${port}` })).status).toBe(200)
  })

  it('refuses a Host that is not its loopback address and port with 421 (DNS rebinding)', async () => {
    for (const host of [
      'evil.example',
      `evil.example:${port}`,
      `127.0.0.1:${port + 1}`,
      `[::1]:${port}`,
    ]) {
      const r = await raw('GET', '/devices', { host })
      expect({ host, status: r.status, code: r.body.error?.code }).toEqual({
        host,
        status: 421,
        code: 'wrong-host',
      })
    }
    expect((await raw('GET', '/devices', { host: `localhost:${port}` })).status).toBe(200)
    expect((await raw('GET', '/devices', { host: `127.0.0.1:${port}` })).status).toBe(200)
  })

  it('refuses a body that is not application/json with 415, and takes a bodiless POST', async () => {
    for (const type of [
      'text/plain',
      'application/x-www-form-urlencoded',
      'multipart/form-data; boundary=x',
    ]) {
      const r = await raw('POST', '/hubs/b/kill', { 'content-type': type }, '{}')
      expect({ type, status: r.status, code: r.body.error?.code }).toEqual({
        type,
        status: 415,
        code: 'not-json',
      })
    }
    expect((await raw('POST', '/dps/throttle', {}, '{"retryAfter":1}')).status).toBe(415)
    expect((await api<{ mode: string }>(lab, 'GET', '/hubs/b')).body.mode).toBe('up')
    expect((await raw('POST', '/dps/restore', {})).status).toBe(200)
    expect(
      (
        await raw(
          'POST',
          '/dps/restore',
          { 'content-type': 'application/json; charset=utf-8' },
          '{}',
        )
      ).status,
    ).toBe(200)
  })

  it('never sends Access-Control-Allow-Origin, to a preflight or a request', async () => {
    const pre = await raw('OPTIONS', '/hubs/a/kill', {
      origin: `http://127.0.0.1:${port}`,
      'access-control-request-method': 'POST',
    })
    const get = await raw('GET', '/lab', {})
    for (const r of [pre, get]) expect(r.headers['access-control-allow-origin']).toBeUndefined()
  })

  it('still serves lizard, which sends no Origin', async () => {
    const out = await run(process.execPath, ['bin/lizard.js', 'hubs'], {
      env: { ...process.env, LIZARD_URL: lab.controlUrl },
    })
    expect(out.stdout).toMatch(/^A .*up/m)
  })
})

describe('lizard command', () => {
  it('sends a model command the IoT Central way: C2D with method-name and a JSON body', async () => {
    const reg = await provisionIn(lab, 'cmd-dev')
    const client = await connectHub({
      hub: reg.assignedHub,
      deviceId: 'cmd-dev',
      groupKey: lab.groupPrimaryKey,
      ca: lab.ca,
    })
    try {
      const received = new Promise<Message>((resolve) => client.on('message', resolve))
      const out = await run(
        process.execPath,
        ['bin/lizard.js', 'command', 'cmd-dev', 'setAlarm', '{"time":"07:30:00"}'],
        { env: { ...process.env, LIZARD_URL: lab.controlUrl } },
      )
      expect(out.stdout).toMatch(/^command setAlarm sent as message/)
      const m = await received
      expect(m.properties.getValue('method-name')).toBe('setAlarm')
      expect(JSON.parse(m.getBytes().toString())).toEqual({ time: '07:30:00' })
      // A command without a payload (the app's lab panel sends null) goes with an empty body.
      const bare = await api(lab, 'POST', '/devices/cmd-dev/c2d', {
        body: null,
        properties: { 'method-name': 'ping' },
      })
      expect(bare.status).toBe(200)
      const listed = await api<{ c2d: { body: string; properties: Record<string, string> }[] }>(
        lab,
        'GET',
        '/devices/cmd-dev',
      )
      expect(listed.body.c2d.at(-1)).toMatchObject({
        body: '',
        properties: { 'method-name': 'ping' },
      })
      await expect(
        run(process.execPath, ['bin/lizard.js', 'command', 'cmd-dev', 'setAlarm', '{bad'], {
          env: { ...process.env, LIZARD_URL: lab.controlUrl },
        }),
      ).rejects.toMatchObject({ code: 2 })
    } finally {
      await client.close()
    }
  })
})

describe('several labs on one machine', () => {
  it('each keeps its own discovery entry; lizard picks the only live one, or lists them all', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'lab-many-'))
    const opts = {
      dataDir: dir,
      dpsPort: 0,
      hubAPort: 0,
      hubBPort: 0,
      controlPort: 0,
      webSockets: false,
    }
    const first = await startLab(opts)
    let second: Awaited<ReturnType<typeof startLab>> | null = await startLab(opts)
    const lizard = (...args: string[]) =>
      run(process.execPath, ['bin/lizard.js', ...args], {
        env: { ...process.env, LIZARD_URL: '', IOTC_LAB_DIR: dir },
      })
    try {
      expect((await findLabs(dir)).map((l) => l.controlUrl).sort()).toEqual(
        [first.controlUrl, second.controlUrl].sort(),
      )
      const refused = await lizard('devices').then(
        () => null,
        (e: unknown) => e as { code: number; stderr: string },
      )
      expect(refused?.code).toBe(2)
      expect(refused?.stderr).toContain(`--url ${first.controlUrl}`)
      expect(refused?.stderr).toContain(`--url ${second.controlUrl}`)

      // A stale entry (its process is gone) is removed; one whose port answers as another lab is skipped.
      const dead = spawn(process.execPath, ['-e', '0'])
      const deadPid = await new Promise<number>((resolve) =>
        dead.on('exit', () => resolve(dead.pid!)),
      )
      mkdirSync(join(dir, 'labs'), { recursive: true })
      const entry = (pid: number, url: string, instance: string) =>
        JSON.stringify({
          controlUrl: url,
          dpsHost: 'x',
          idScope: 'x',
          caPath: 'x',
          hubs: { a: 'x', b: 'x' },
          pid,
          startedAt: 'x',
          instance,
        })
      writeFileSync(
        join(dir, 'labs', `${deadPid}-1.json`),
        entry(deadPid, 'http://127.0.0.1:1', 'gone'),
      )
      writeFileSync(
        join(dir, 'labs', `${process.pid}-2.json`),
        entry(process.pid, first.controlUrl, 'not-this-lab'),
      )

      const secondEntry = `${process.pid}-${new URL(second.controlUrl).port}.json`
      expect(readdirSync(join(dir, 'labs'))).toContain(secondEntry)
      await second.stop()
      second = null
      expect(readdirSync(join(dir, 'labs'))).not.toContain(secondEntry)
      const out = await lizard('hubs', '--json')
      expect(JSON.parse(out.stdout)).toMatchObject({ a: { host: first.hubs.a.host } })
      const left = readdirSync(join(dir, 'labs'))
      expect(left).not.toContain(`${deadPid}-1.json`)
      expect(left).toContain(`${process.pid}-2.json`)
      expect(left).toContain(`${process.pid}-${new URL(first.controlUrl).port}.json`)
    } finally {
      await second?.stop()
      await first.stop()
      expect(readdirSync(join(dir, 'labs'))).toEqual([`${process.pid}-2.json`])
      rmSync(dir, { recursive: true, force: true })
    }
  })
})
