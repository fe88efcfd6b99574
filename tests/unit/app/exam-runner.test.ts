import { mkdtemp, rm } from 'node:fs/promises'
import os from 'node:os'
import path from 'node:path'
import { afterEach, describe, expect, it } from 'vitest'
import {
  ExamRunner,
  eventIdsMatch,
  labDeviceList,
  moveFigures,
  type ExamRunnerDeps,
  type RunExam,
} from '../../../electron/core/exam-runner'
import { AppCore } from '../../../electron/core/index'
import { examViewLimits, type ExamSnapshot } from '../../../shared/exam-view'
import type { Move } from '../../../lab/exam/evidence'
import { LabCallError } from '../../../lab/exam/lab-api'
import { runExam } from '../../../lab/exam/run'
import { fakeDeps, fakeRunExam, testModel, type FakeExamRecord } from './fakes'
import { expectError, until, value } from './contract-scenario'

// The app's exam runner with runExam's stand-in: the snapshot the exam view is drawn from (each
// event pending → running → done or skipped, figures as they come, progress lines bounded, the
// scorecard and the report at the end), one exam at a time, Stop, a refusal, and the core
// stopping an exam when the app stops or the profile changes.

const url = 'http://127.0.0.1:18090'

function runner(over: Partial<ExamRunnerDeps> = {}) {
  const pushed: ExamSnapshot[] = []
  const logs: string[] = []
  const records: FakeExamRecord[] = []
  let target: { controlUrl: string } | { why: string } = { controlUrl: url }
  const r = new ExamRunner({
    lab: () => target,
    modelFor: async (id) => (id === 'failover_js' ? await testModel() : null),
    emit: (s) => pushed.push(s),
    log: (l) => logs.push(l),
    run: fakeRunExam(records),
    pushMs: 20,
    ...over,
  })
  return {
    r,
    pushed,
    logs,
    records,
    setTarget: (t: typeof target) => (target = t),
  }
}

const ended = (s: ExamSnapshot) =>
  s.state === 'done' || s.state === 'stopped' || s.state === 'failed'

describe('exam runner', () => {
  it('is idle until started; whether one can run follows the lab', () => {
    const t = runner()
    expect(t.r.snapshot()).toMatchObject({ state: 'idle', available: true, events: [] })
    t.setTarget({ why: 'switch to the embedded lab' })
    expect(t.r.snapshot()).toMatchObject({
      available: false,
      unavailableReason: 'switch to the embedded lab',
    })
  })

  it('runs the events chosen, in the exam order, and ends with the scorecard and the report', async () => {
    const t = runner()
    const first = await t.r.start({ deviceId: 'failover_js', events: ['kill', 'manual-failover'] })
    expect(first.state).toBe('running')
    expect(first.deviceId).toBe('failover_js')
    expect(first.timeBoundSec).toBe(1800)
    expect(first.events.map((e) => [e.id, e.status, e.title])).toEqual([
      ['manual-failover', 'pending', 'Manual failover'],
      ['kill', 'pending', 'Hub killed'],
    ])
    await until(() => ended(t.r.snapshot()))
    const s = t.r.snapshot()
    expect(s.state).toBe('done')
    expect(t.records[0]).toMatchObject({
      deviceId: 'failover_js',
      events: ['manual-failover', 'kill'],
      url,
      modelId: 'dtmi:Sample:Failover;1',
      restored: true,
    })
    expect(s.events.map((e) => e.status)).toEqual(['done', 'done'])
    // Figures as each event came in: back, the method, the C2D command, the desired patch.
    expect(s.events[0]!.figures).toEqual([
      { label: 'back', value: 'on hub B in 1.2 s (first telemetry)', ok: true },
      { label: 'method', value: 'echo answered 200', ok: true },
      { label: 'C2D', value: 'reboot delivered', ok: true },
      { label: 'desired', value: '1 of 2 keys acknowledged (version 2)', ok: false },
    ])
    // The scorecard: each check with its figure and why; counted, and counted per event.
    const ids = s.checks!.map((c) => c.id)
    expect(ids).toEqual(
      expect.arrayContaining(['manual-failover.back', 'kill.back', 'manual-failover.desired']),
    )
    expect(s.checks!.find((c) => c.id === 'manual-failover.desired')).toMatchObject({
      status: 'fail',
    })
    expect(s.verdict).toBe('fail')
    const total = s.counts!.pass + s.counts!.warn + s.counts!.fail
    expect(total).toBe(s.checks!.length)
    expect(s.events[0]!.score!.fail).toBeGreaterThanOrEqual(1)
    expect(s.report).toBe(true)
    expect(t.r.report()).toMatch(/^<!doctype html>[\s\S]*manual-failover\.desired/)
    // Progress lines as runExam said them, oldest first.
    expect(s.lines.map((l) => l.text)).toEqual([
      'watching failover_js for up to 20 s to learn its telemetry period',
      'manual-failover: failover_js is on hub A',
      'manual-failover: back on hub B after 1.2 s',
      'kill: failover_js is on hub A',
      'kill: back on hub B after 1.2 s',
    ])
    expect(s.endedAt).not.toBeNull()
    // Every push is a snapshot; the last is the end.
    expect(t.pushed.at(-1)!.state).toBe('done')
    expect(t.pushed.some((p) => p.events[0]?.status === 'running')).toBe(true)
    expect(t.logs.join('\n')).toMatch(/\[exam\] failover_js: fail — \d+ passed/)
  })

  it('all events when none are named; a device whose model is not the app’s gets none', async () => {
    const t = runner()
    await t.r.start({ deviceId: 'sample-node', timeBoundSec: 600 })
    await until(() => ended(t.r.snapshot()))
    expect(t.records[0]!.events).toEqual([
      'manual-failover',
      'manual-failback',
      'kill',
      'blackhole',
      'restart',
      'throttle',
    ])
    expect(t.records[0]!.modelId).toBeNull()
    expect(t.r.snapshot().timeBoundSec).toBe(600)
    // A restart comes back to the same hub.
    expect(t.r.snapshot().events[4]!.figures[0]!.value).toMatch(/^on hub A again in/)
  })

  it('one exam at a time; Stop aborts it and settles once the lab is restored', async () => {
    const t = runner()
    await t.r.start({ deviceId: 'slow-device', events: ['manual-failover', 'kill'] })
    await until(() => t.r.snapshot().events[0]!.status === 'running')
    await expect(t.r.start({ deviceId: 'failover_js' })).rejects.toThrow(/one at a time/)
    const stopping = t.r.stop()
    expect(t.r.snapshot().state).toBe('stopping')
    const s = await stopping
    expect(t.records[0]).toMatchObject({ aborted: true, restored: true })
    expect(s.state).toBe('stopped')
    expect(s.reason).toMatch(/every hub and DPS were restored/)
    expect(s.events.map((e) => [e.status, e.note])).toEqual([
      ['skipped', 'the exam was stopped during it'],
      ['skipped', 'the exam was stopped before it'],
    ])
    expect(s.checks!.map((c) => c.id)).toEqual(
      expect.arrayContaining(['manual-failover.skipped', 'exam.interrupted']),
    )
    expect(s.lines.map((l) => l.text)).toContain('stopping: restoring every hub and DPS')
    // Stopped before it began (Stop right after Start): runExam is not even called.
    await t.r.start({ deviceId: 'failover_js' })
    expect((await t.r.stop()).reason).toMatch(/before the exam began: nothing was changed/)
    expect(t.records).toHaveLength(1)
    // Stopped, another can start; stopping again is harmless.
    expect((await t.r.stop()).state).toBe('stopped')
    await t.r.start({ deviceId: 'failover_js', events: ['restart'] })
    await until(() => ended(t.r.snapshot()))
    expect(t.r.snapshot().state).toBe('done')
  })

  it('a device the exam refuses: failed, with the exam’s own words; no report', async () => {
    const t = runner()
    await t.r.start({ deviceId: 'gone-device', events: ['kill'] })
    await until(() => ended(t.r.snapshot()))
    const s = t.r.snapshot()
    expect(s.state).toBe('failed')
    expect(s.reason).toMatch(/^Gone-device is not connected to the lab now/i)
    expect(s.events[0]).toMatchObject({ status: 'skipped', note: 'not run' })
    expect(s.checks).toBeNull()
    expect(s.report).toBe(false)
    expect(() => t.r.report()).toThrow(/No exam has ended/)
  })

  it('a lab that stops answering, or an exam that throws, fails it; the app carries on', async () => {
    const broken: RunExam = async () => {
      throw new LabCallError('no lab answers at http://127.0.0.1:18090')
    }
    const t = runner({ run: broken })
    await t.r.start({ deviceId: 'failover_js' })
    await until(() => ended(t.r.snapshot()))
    expect(t.r.snapshot()).toMatchObject({
      state: 'failed',
      reason: 'No lab answers at http://127.0.0.1:18090',
    })
    const worse = runner({
      run: async () => {
        throw new TypeError('x is undefined')
      },
    })
    await worse.r.start({ deviceId: 'failover_js' })
    await until(() => ended(worse.r.snapshot()))
    expect(worse.r.snapshot().reason).toBe('The exam failed: x is undefined')
  })

  it('stopped before the exam began: nothing was changed', async () => {
    const early: RunExam = (_o, io) =>
      new Promise((_resolve, reject) =>
        io.signal.addEventListener('abort', () =>
          reject(new LabCallError('stopped', null, 'stopped')),
        ),
      )
    const t = runner({ run: early, modelFor: async () => null })
    await t.r.start({ deviceId: 'failover_js' })
    await new Promise((r) => setTimeout(r, 20))
    const s = await t.r.stop()
    expect(s).toMatchObject({ state: 'stopped' })
    expect(s.reason).toMatch(/before the exam began: nothing was changed/)
  })

  it('refuses to start without a lab, naming why', async () => {
    const t = runner()
    t.setTarget({ why: 'The exam runs against the embedded lab.' })
    await expect(t.r.start({ deviceId: 'failover_js' })).rejects.toThrow(/embedded lab/)
    expect(t.r.snapshot().state).toBe('idle')
  })

  it('keeps the newest progress lines, each cut short, and pushes at most once per pushMs', async () => {
    const chatty: RunExam = async (o, io) => {
      for (let i = 0; i < 500; i++) io.progress(`line ${i} ${'x'.repeat(i === 499 ? 2000 : 0)}`)
      return fakeRunExam()(o, io)
    }
    const t = runner({ run: chatty, pushMs: 10_000 })
    await t.r.start({ deviceId: 'failover_js', events: ['kill'] })
    await until(() => ended(t.r.snapshot()))
    const s = t.r.snapshot()
    expect(s.lines).toHaveLength(examViewLimits.maxLines)
    expect(s.linesDropped).toBeGreaterThan(300)
    expect(Math.max(...s.lines.map((l) => l.text.length))).toBe(examViewLimits.maxLineChars)
    // 500 lines and more, yet a few pushes: start, the event under way and its end, the end.
    expect(t.pushed.length).toBeLessThanOrEqual(5)
  })

  it('an emit that throws is logged, not thrown into the exam', async () => {
    const t = runner({
      emit: () => {
        throw new Error('window gone')
      },
    })
    await t.r.start({ deviceId: 'failover_js', events: ['kill'] })
    await until(() => ended(t.r.snapshot()))
    expect(t.r.snapshot().state).toBe('done')
    expect(t.logs.join('\n')).toMatch(/window gone/)
  })

  it('uses lab/exam’s runExam unless told otherwise, and the same event ids', () => {
    const r = new ExamRunner({
      lab: () => ({ controlUrl: url }),
      modelFor: async () => null,
      emit: () => undefined,
      log: () => undefined,
    })
    expect((r as unknown as { run: unknown }).run).toBe(runExam)
    expect(eventIdsMatch()).toBe(true)
  })

  it('words a move that never came back', () => {
    const m: Move = {
      id: 'kill',
      startedAt: 0,
      from: 'a',
      to: 'b',
      backAt: null,
      backBy: null,
      endedAt: 120_000,
      after: { method: null, c2d: null, desired: null, resyncedVersion: null, desiredVersion: 3 },
    }
    expect(moveFigures(m)).toEqual([
      { label: 'back', value: 'not on hub B after 120.0 s', ok: false },
      { label: 'desired after reconnecting', value: 'version 3 not acknowledged', ok: false },
    ])
  })
})

describe('lab:devices', () => {
  it('lists connected devices first, then by id, skipping rows it cannot read, at most 500', () => {
    const rows = [
      { deviceId: 'b-off', homeHub: 'b', connectedTo: null },
      { deviceId: 'z-on', homeHub: 'a', connectedTo: 'b', modelId: 'dtmi:x;1' },
      { deviceId: 'a-on', homeHub: 'a', connectedTo: 'a', modelId: null },
      { deviceId: '', connectedTo: 'a' },
      { deviceId: 'weird', connectedTo: 'c' },
      'not a device',
    ]
    expect(labDeviceList(rows)).toEqual({
      total: 3,
      devices: [
        { deviceId: 'a-on', connected: true, hub: 'A', homeHub: 'A', modelId: null },
        { deviceId: 'z-on', connected: true, hub: 'B', homeHub: 'A', modelId: 'dtmi:x;1' },
        { deviceId: 'b-off', connected: false, hub: null, homeHub: 'B', modelId: null },
      ],
    })
    const many = Array.from({ length: 700 }, (_, i) => ({
      deviceId: `fleet-${i}`,
      homeHub: 'a',
      connectedTo: i % 2 ? 'a' : null,
    }))
    const list = labDeviceList(many)
    expect(list.total).toBe(700)
    expect(list.devices).toHaveLength(500)
    expect(list.devices.slice(0, 350).every((d) => d.connected)).toBe(true)
    expect(() => labDeviceList({ devices: [] })).toThrow(/shape not known/)
  })
})

describe('the core and its exam', () => {
  let dataDir: string | null = null
  afterEach(async () => {
    if (dataDir) await rm(dataDir, { recursive: true, force: true })
    dataDir = null
  })

  async function core() {
    dataDir = await mkdtemp(path.join(os.tmpdir(), 'iotc-exam-'))
    const deps = fakeDeps()
    const c = new AppCore({
      dataDir,
      shell: 'web',
      version: '0.0.0',
      model: await testModel(),
      deps,
      batch: { intervalMs: 10 },
    })
    await c.start()
    return { c, deps }
  }

  it('a profile switch stops a running exam (the lab restored) before the lab goes', async () => {
    const { c, deps } = await core()
    value(await c.invoke('exam:start', { deviceId: 'slow-device', events: ['kill'] }))
    await until(() => deps.exams.length === 1)
    value(
      await c.invoke('settings:save', {
        name: 'Central',
        idScope: '0ne00ABCDEF',
        keyKind: 'device',
        key: 'Y2VudHJhbC1kZXZpY2Uta2V5LWZvci10ZXN0cy0xMjM0NTY=',
        deviceId: 'dev-1',
        modelId: 'dtmi:Sample:Failover;1',
        provisioningHost: 'global.azure-devices-provisioning.net',
        transport: 'mqtt',
      }),
    )
    expect(deps.exams[0]).toMatchObject({ aborted: true, restored: true })
    const s = value(await c.invoke('exam:state', undefined)) as ExamSnapshot
    expect(s).toMatchObject({ state: 'stopped', available: false })
    expect(s.reason).toMatch(/profile/)
    await c.stop()
  })

  it('stopping the app stops a running exam first', async () => {
    const { c, deps } = await core()
    value(await c.invoke('exam:start', { deviceId: 'slow-device' }))
    await until(() => deps.exams.length === 1)
    await c.stop()
    expect(deps.exams[0]).toMatchObject({ aborted: true, restored: true })
    expect(deps.labs[0]!.stopped).toBe(true)
    expectError(await c.invoke('exam:start', { deviceId: 'failover_js' }), 'unavailable')
  })
})
