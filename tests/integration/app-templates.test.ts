import { mkdtempSync, readFileSync, rmSync } from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { privateLabOptions } from '../../lab/index'
import { AppCore, readModelFile } from '../../electron/core/index'
import { realDeps } from '../../electron/core/engine'
import type { AppInfo, Result } from '../../shared/contract'
import type { ModelReport } from '../../shared/dtdl'
import type { LabStats } from '../../shared/lab-actions'
import type { InboundEntry, SessionSnapshot, TelemetrySample } from '../../shared/domain'
import { api, waitFor } from '../support/lab'
import { fast } from './fixtures/engine'

// A user's own template, through the contract, against the real engine and the embedded lab:
// the device becomes it, the lab checks its traffic against it, and a bad one changes nothing.

const repo = path.join(import.meta.dirname, '../fixtures/models/repo/dtmi')
const file = (rel: string) => ({
  name: path.basename(rel),
  text: readFileSync(path.join(repo, rel), 'utf8'),
})
const controller = [
  file('com/example/temperaturecontroller-2.json'),
  file('com/example/thermostat-1.json'),
  file('com/example/thermostat-2.json'),
  file('azure/devicemanagement/deviceinformation-1.json'),
]

let dir: string
let core: AppCore
const call = async <T>(channel: string, request?: unknown): Promise<T> => {
  const r = (await core.invoke(channel, request)) as Result<T>
  if (!r.ok) throw Object.assign(new Error(r.error.message), { code: r.error.code })
  return r.value
}
const snapshot = () => call<SessionSnapshot>('session:snapshot')
const connected = async () => (await snapshot()).state.kind === 'connected'
const controlUrl = async () => (await call<AppInfo>('app:info')).lab!.controlUrl!

beforeAll(async () => {
  dir = mkdtempSync(path.join(os.tmpdir(), 'iotc-templates-'))
  const builtIn = await readModelFile(path.join(import.meta.dirname, '../../failover.json'))
  core = new AppCore({
    dataDir: dir,
    shell: 'web',
    version: 'test',
    model: builtIn.model,
    modelFiles: builtIn.files,
    deps: realDeps(),
    lab: { ...privateLabOptions(path.join(dir, 'lab')), dpsRetryAfterSec: 0 },
    sessionOverrides: { ...fast, periods: { telemetryMs: 150, reportedMs: 300 } },
  })
  await core.start()
  await waitFor('connected', connected, 30_000)
}, 60_000)

afterAll(async () => {
  await core?.stop()
  rmSync(dir, { recursive: true, force: true })
})

describe('a device template of the user’s own', () => {
  it('a template that does not load is refused with every problem and its place; the device keeps its model', async () => {
    const bad = JSON.parse(controller[1]!.text) as { contents: { schema?: unknown }[] }
    bad.contents[0]!.schema = 'doubel'
    bad.contents[1]!.schema = { '@type': 'Enum', valueSchema: 'float', enumValues: [] }
    const report = await call<ModelReport>('model:load', {
      files: [{ name: 'thermostat.json', text: JSON.stringify(bad) }],
    })
    expect(report.loaded).toBe(false)
    expect(report.problems.map((p) => `${p.file} ${p.path}: ${p.message}`)).toEqual([
      "thermostat.json contents[0].schema: 'doubel' is not a DTDL schema (did you mean 'double'?)",
      expect.stringMatching(/^thermostat\.json contents\[1\]\.schema\.valueSchema: /),
    ])
    const info = await call<AppInfo>('app:info')
    expect(info.model.id).toBe('dtmi:Sample:Failover;1')
    expect((await snapshot()).modelId).toBe('dtmi:Sample:Failover;1')
  })

  it('loads a template with components: the device sends, reports and answers as it says, and the lab finds nothing to object to', async () => {
    const report = await call<ModelReport>('model:load', { files: controller })
    expect(report).toMatchObject({
      loaded: true,
      modelId: 'dtmi:com:example:TemperatureController;2',
      counts: { components: 3, commands: 3 },
    })
    const info = await call<AppInfo>('app:info')
    expect(info.model.components.map((c) => c.name)).toEqual([
      'thermostat1',
      'thermostat2',
      'deviceInformation',
    ])
    expect(info.modelReport.source).toBe('temperaturecontroller-2.json')
    await waitFor('connected as the controller', async () => {
      const s = await snapshot()
      return (
        s.modelId === 'dtmi:com:example:TemperatureController;2' && s.state.kind === 'connected'
      )
    })

    // One message per component, each with its own fields.
    const samples = await waitFor('telemetry of every component', async () => {
      const t = await call<TelemetrySample[]>('telemetry:recent')
      const by = new Set(t.map((s) => s.component))
      return by.has('thermostat1') && by.has('thermostat2') && by.has(null) ? t : null
    })
    const t1 = samples.find((s) => s.component === 'thermostat1')!
    expect(Object.keys(t1.values)).toEqual(['temperature'])
    expect(typeof t1.values.temperature).toBe('number')

    // Component properties reported under their component, marked.
    await waitFor('device information reported', async () => {
      const r = (await snapshot()).reported as Record<string, Record<string, unknown>>
      return (
        r.deviceInformation?.__t === 'c' && typeof r.deviceInformation.manufacturer === 'string'
      )
    })

    // A component's writable property, set as IoT Central sets it, acknowledged its way.
    await call('lab:act', {
      action: 'desired',
      patch: { thermostat1: { __t: 'c', targetTemperature: 30.5 } },
    })
    const url = await controlUrl()
    const twin = await waitFor('the acknowledgement at the hub', async () => {
      const d = await api<{ twin: { reported: Record<string, Record<string, unknown>> } }>(
        { controlUrl: url },
        'GET',
        '/devices/failover_js',
      )
      const ack = d.body.twin.reported.thermostat1?.targetTemperature as
        { value: number; ac: number } | undefined
      return ack?.value === 30.5 ? d.body.twin.reported : null
    })
    expect(twin.thermostat1).toMatchObject({
      __t: 'c',
      targetTemperature: { value: 30.5, ac: 200, ad: 'completed' },
    })

    // A component command, by its wire name; and one answered with the response the user set.
    await call('lab:act', {
      action: 'invoke',
      method: 'thermostat1*getMaxMinReport',
      payload: '2026-12-06T00:00:00Z',
    })
    await call('session:setCommandResponse', { command: 'reboot', response: null })
    await call('lab:act', { action: 'invoke', method: 'reboot', payload: 3 })
    const answered = await waitFor('both commands answered', async () => {
      const list = await call<InboundEntry[]>('inbound:list')
      const report = list.find((e) => e.name === 'thermostat1*getMaxMinReport')
      const reboot = list.find((e) => e.name === 'reboot')
      return report && reboot ? { report, reboot } : null
    })
    expect(answered.report.response.status).toBe(200)
    expect(answered.report.response.body).toMatchObject({
      maxTemp: expect.any(Number),
      minTemp: expect.any(Number),
      startTime: expect.any(String),
    })
    expect(answered.reboot.response.status).toBe(200)

    // What the lab saw, checked against the same template: nothing to object to.
    const stats = await waitFor('the lab checked the traffic', async () => {
      const s = await call<LabStats | null>('lab:stats')
      return s?.conformance?.template === 'checked' && s.conformance.checked >= 10 ? s : null
    })
    expect(stats.conformance!.recent).toEqual([])
    expect(stats.conformance!.findings).toBe(0)
  }, 60_000)

  it('a response the user set is what the command answers', async () => {
    const set = await call<Record<string, unknown>>('session:setCommandResponse', {
      command: 'thermostat2*getMaxMinReport',
      response: { maxTemp: 99, minTemp: 1, avgTemp: 50, startTime: 'x', endTime: 'y' },
    })
    expect(Object.keys(set)).toEqual(['thermostat2*getMaxMinReport'])
    await call('lab:act', {
      action: 'invoke',
      method: 'thermostat2*getMaxMinReport',
      payload: '2026-12-06T00:00:00Z',
    })
    const entry = await waitFor('answered', async () =>
      (await call<InboundEntry[]>('inbound:list')).find(
        (e) => e.name === 'thermostat2*getMaxMinReport',
      ),
    )
    expect(entry.response.body).toMatchObject({ maxTemp: 99, minTemp: 1 })
  })

  it('goes back to the built-in template', async () => {
    const report = await call<ModelReport>('model:reset')
    expect(report.modelId).toBe('dtmi:Sample:Failover;1')
    await waitFor('connected as the sample again', async () => {
      const s = await snapshot()
      return s.modelId === 'dtmi:Sample:Failover;1' && s.state.kind === 'connected'
    })
  })
})
