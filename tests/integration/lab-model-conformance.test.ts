import type { Client } from 'azure-iot-device'
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest'
import { main } from '../../lab/cli'
import type { ConformanceView } from '../../lab/conformance-log'
import type { ModelReport } from '../../shared/dtdl/types'
import { api, testLab, waitFor } from '../support/lab'
import { connectHub, jsonMessage, provisionIn } from '../support/sdk-device'

// A lab given a template checks a device's traffic against it, as IoT Central would read it, and
// says what it found through the control API and lizard; it never refuses the traffic.

const iface = (id: string, contents: unknown[]) =>
  JSON.stringify({ '@context': 'dtmi:dtdl:context;2', '@id': id, '@type': 'Interface', contents })

const controllerId = 'dtmi:com:example:Controller;1'
const controller = iface(controllerId, [
  { '@type': 'Telemetry', name: 'temp', schema: 'double' },
  { '@type': 'Property', name: 'fanSpeed', schema: 'integer', writable: true },
  { '@type': 'Component', name: 'thermostat1', schema: 'dtmi:com:example:Thermostat;1' },
])
// Found through the models repository layout, not named by the lab's options.
const thermostat = iface('dtmi:com:example:Thermostat;1', [
  { '@type': 'Telemetry', name: 'temperature', schema: 'double' },
  { '@type': 'Property', name: 'targetTemperature', schema: 'double', writable: true },
  { '@type': 'Command', name: 'reboot' },
])

type Lab = Awaited<ReturnType<typeof testLab>>
let lab: Lab
let models: string
const clients: Client[] = []

beforeAll(async () => {
  models = mkdtempSync(join(tmpdir(), 'lab-models-'))
  writeFileSync(join(models, 'controller.json'), controller)
  mkdirSync(join(models, 'dtmi', 'com', 'example'), { recursive: true })
  writeFileSync(join(models, 'dtmi', 'com', 'example', 'thermostat-1.json'), thermostat)
  lab = await testLab({ models: [models] })
})
afterAll(async () => {
  await Promise.all(clients.map((c) => c.close()))
  await lab.stop()
  rmSync(models, { recursive: true, force: true })
})

async function device(deviceId: string, modelId?: string): Promise<Client> {
  const reg = await provisionIn(lab, deviceId, modelId ? { payload: { modelId } } : {})
  const client = await connectHub({
    hub: reg.assignedHub,
    deviceId,
    groupKey: lab.groupPrimaryKey,
    ca: lab.ca,
    modelId,
  })
  clients.push(client)
  return client
}

const conformance = async (id: string) =>
  (await api<{ conformance: ConformanceView }>(lab, 'GET', `/devices/${id}`)).body.conformance

async function lizard(...argv: string[]) {
  let stdout = ''
  const out = vi
    .spyOn(process.stdout, 'write')
    .mockImplementation((s) => ((stdout += String(s)), true))
  const err = vi.spyOn(process.stderr, 'write').mockImplementation(() => true)
  try {
    const code = await main([...argv, '--url', lab.controlUrl])
    return { code, stdout }
  } finally {
    out.mockRestore()
    err.mockRestore()
  }
}

describe('conformance of a device to its template', () => {
  it('records exactly what is wrong: a wrong type, and component telemetry without $.sub', async () => {
    const client = await device('conf-dev', controllerId)
    await client.sendEvent(jsonMessage({ temp: 21.5 }))
    await client.sendEvent(jsonMessage({ temp: 'hot' }))
    await client.sendEvent(jsonMessage({ temperature: 20 }))
    // The SDK sends dt-subject as $.sub: the component's own telemetry, rightly marked.
    await client.sendEvent(jsonMessage({ temperature: 20 }, { 'dt-subject': 'thermostat1' }))
    const twin = await client.getTwin()
    await new Promise<void>((resolve, reject) =>
      twin.properties.reported.update(
        {
          fanSpeed: { value: 3, ac: 200, av: 1, ad: 'completed' },
          thermostat1: { __t: 'c', targetTemperature: { value: 21, ac: 200, av: 1 } },
        },
        (e?: Error) => (e ? reject(e) : resolve()),
      ),
    )

    const c = await waitFor('five messages checked', async () => {
      const v = await conformance('conf-dev')
      return v.checked === 5 ? v : null
    })
    expect(c).toMatchObject({
      modelId: controllerId,
      template: 'checked',
      note: null,
      findings: 2,
    })
    expect(Object.entries(c.counts).filter(([, n]) => n > 0)).toEqual([
      ['missing-component-marker', 1],
      ['wrong-type', 1],
    ])
    expect(c.recent.map((f) => [f.kind, f.where])).toEqual([
      ['wrong-type', 'telemetry temp'],
      ['missing-component-marker', 'telemetry temperature'],
    ])
    expect(c.recent[1]!.message).toContain('component telemetry without $.sub')

    // Nothing was refused: the hub kept all four messages.
    const tel = await api<{ stats: { count: number }; conformance: ConformanceView }>(
      lab,
      'GET',
      '/devices/conf-dev/telemetry?limit=0',
    )
    expect(tel.body.stats.count).toBe(4)
    expect(tel.body.conformance.findings).toBe(2)

    const listed = await lizard('devices')
    expect(listed.code).toBe(0)
    expect(listed.stdout).toMatch(/FINDINGS/)
    expect(listed.stdout).toMatch(/^conf-dev\s.*\s2\s/m)
    const shown = await lizard('conformance', 'conf-dev')
    expect(shown.code).toBe(0)
    expect(shown.stdout).toContain('5 message(s) checked, 2 finding(s)')
    expect(shown.stdout).toMatch(/wrong-type\s+telemetry temp\s+temp: expected a number/)
  })

  it('invokes a component command by its IoT Central name, component*command', async () => {
    const client = await device('conf-cmd', controllerId)
    client.onDeviceMethod('thermostat1*reboot', (_req, res) => void res.send(200, { ok: true }))
    await waitFor('method subscription', async () =>
      (
        await api<{ subscriptions: string[] }>(lab, 'GET', '/devices/conf-cmd')
      ).body.subscriptions.includes('$iothub/methods/POST/#'),
    )
    const r = await api(lab, 'POST', '/devices/conf-cmd/methods', {
      methodName: 'thermostat1*reboot',
      payload: null,
      responseTimeoutInSeconds: 5,
    })
    expect(r).toEqual({ status: 200, body: { status: 200, payload: { ok: true } } })
    const cli = await lizard('invoke', 'conf-cmd', 'thermostat1*reboot', '--json')
    expect(cli.code).toBe(0)
    expect(JSON.parse(cli.stdout)).toEqual({ status: 200, payload: { ok: true } })
  })

  it('says "no template" for a model id it does not know, and checks once it is given one', async () => {
    const otherId = 'dtmi:com:example:Other;1'
    const client = await device('conf-other', otherId)
    await client.sendEvent(jsonMessage({ anything: 1 }))
    await waitFor(
      'the message',
      async () =>
        (await api<{ telemetryCount: number }>(lab, 'GET', '/devices/conf-other')).body
          .telemetryCount === 1,
    )
    expect(await conformance('conf-other')).toMatchObject({
      template: 'unknown',
      note: `no template for ${otherId}`,
      checked: 0,
      findings: 0,
    })
    expect((await lizard('devices')).stdout).toMatch(/^conf-other\s.*no template/m)

    const bad = await api<{ error: { code: string; problems: { path: string }[] } }>(
      lab,
      'POST',
      '/models',
      {
        documents: [
          {
            name: 'other.json',
            text: iface(otherId, [{ '@type': 'Telemetry', name: 'x', schema: 'doubel' }]),
          },
        ],
      },
    )
    expect(bad.status).toBe(400)
    expect(bad.body.error.code).toBe('model-not-loaded')
    expect(bad.body.error.problems[0]!.path).toBe('contents[0].schema')

    const good = await api<ModelReport[]>(lab, 'POST', '/models', {
      documents: [
        {
          name: 'other.json',
          text: iface(otherId, [{ '@type': 'Telemetry', name: 'x', schema: 'double' }]),
        },
      ],
    })
    expect(good.status).toBe(200)
    expect(good.body.map((r) => [r.modelId, r.loaded])).toEqual([[otherId, true]])
    const known = await api<{ models: { modelId: string }[] }>(lab, 'GET', '/models')
    expect(known.body.models.map((m) => m.modelId).sort()).toEqual(
      [controllerId, 'dtmi:com:example:Thermostat;1', otherId].sort(),
    )

    await client.sendEvent(jsonMessage({ x: 1, y: 2 }))
    const c = await waitFor('a checked message', async () => {
      const v = await conformance('conf-other')
      return v.checked === 1 ? v : null
    })
    expect(c.recent.map((f) => [f.kind, f.where])).toEqual([['unknown-telemetry', 'telemetry y']])
  })

  it('takes templates from lizard model add, all or nothing, and lists them', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'lab-model-add-'))
    try {
      const gadget = join(dir, 'gadget.json')
      writeFileSync(
        gadget,
        iface('dtmi:com:example:Gadget;1', [{ '@type': 'Telemetry', name: 'g', schema: 'double' }]),
      )
      const added = await lizard('model', 'add', gadget)
      expect(added.code).toBe(0)
      expect(added.stdout).toContain(`${gadget}: loads — dtmi:com:example:Gadget;1`)
      const bad = join(dir, 'bad.json')
      writeFileSync(
        bad,
        iface('dtmi:com:example:Bad;1', [{ '@type': 'Telemetry', name: 'b', schema: 'doubel' }]),
      )
      const refused = await lizard('model', 'add', bad)
      expect(refused.code).toBe(1)
      expect(refused.stdout).toContain(`${bad}: does not load`)
      expect(refused.stdout).toContain('The lab kept none of them.')
      const listed = await lizard('model', 'list')
      expect(listed.stdout).toContain('dtmi:com:example:Gadget;1')
      expect(listed.stdout).not.toContain('dtmi:com:example:Bad;1')
    } finally {
      rmSync(dir, { recursive: true, force: true })
    }
  })

  it('refuses a models body over its bounds with 400, before loading anything', async () => {
    const r = await api<{ error: { code: string; message: string } }>(lab, 'POST', '/models', {
      documents: [{ name: 'huge.json', text: 'x'.repeat(1024 * 1024 + 1) }],
    })
    expect(r.status).toBe(400)
    expect(r.body.error.message).toContain('at most 1 MiB')
    const empty = await api(lab, 'POST', '/models', { documents: [] })
    expect(empty.status).toBe(400)
  })
})
