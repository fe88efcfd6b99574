// @vitest-environment happy-dom
import { act, cleanup, fireEvent, render, screen, within } from '@testing-library/react'
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest'
import type { AppInfo, ContractError, LabInfo, Result } from '../../../shared/contract'
import {
  idleExamSnapshot,
  type ExamSnapshot,
  type ExamStartRequest,
  type LabDeviceList,
} from '../../../shared/exam-view'
import { App } from '../../../renderer/src/App'
import { ExamView } from '../../../renderer/src/components/ExamView'
import { LabPanel } from '../../../renderer/src/components/LabPanel'
import { actions, connectStore, useApp } from '../../../renderer/src/store'
import { fakeRendererApi } from './fake-api'

// The exam in the window: "Examine this device" and the lab's other devices in the lab panel,
// the exam view's note, event chooser, Start / Stop, the live checklist, and the scorecard with
// its statuses in words and the HTML report.

const t0 = Date.parse('2026-01-01T10:00:00Z')
const controlUrl = 'http://127.0.0.1:8090'

const lab: LabInfo = {
  status: 'running',
  stoppedReason: null,
  controlUrl,
  tryFailover: '',
  tryFailback: '',
  lizard: 'npx lizard',
}
const info = { version: '0', mode: 'lab', shell: 'web', lab } as AppInfo

const devices: LabDeviceList = {
  total: 4,
  devices: [
    { deviceId: 'failover_js', connected: true, hub: 'A', homeHub: 'A', modelId: 'dtmi:x;1' },
    { deviceId: 'sample-node', connected: true, hub: 'B', homeHub: 'B', modelId: null },
    { deviceId: 'sample-py', connected: false, hub: null, homeHub: 'A', modelId: null },
  ],
}

function running(): ExamSnapshot {
  return {
    ...idleExamSnapshot(true, null),
    state: 'running',
    deviceId: 'failover_js',
    startedAt: t0,
    timeBoundSec: 1800,
    events: [
      {
        id: 'manual-failover',
        title: 'Manual failover',
        status: 'done',
        figures: [
          { label: 'back', value: 'on hub B in 3.2 s (first telemetry)', ok: true },
          { label: 'desired', value: '1 of 2 keys acknowledged (version 4)', ok: false },
        ],
        note: null,
        score: null,
      },
      {
        id: 'kill',
        title: 'Hub killed',
        status: 'running',
        figures: [],
        note: null,
        score: null,
      },
    ],
    lines: [
      { at: t0, text: 'watching failover_js for up to 20 s to learn its telemetry period' },
      { at: t0 + 20_000, text: 'kill: failover_js is on hub A' },
    ],
  }
}

function done(): ExamSnapshot {
  const r = running()
  return {
    ...r,
    state: 'done',
    endedAt: t0 + 90_000,
    events: [
      { ...r.events[0]!, score: { pass: 3, warn: 0, fail: 1 } },
      {
        ...r.events[1]!,
        status: 'skipped',
        note: 'failover_js was not connected when the kill event was due',
      },
    ],
    checks: [
      {
        id: 'manual-failover.back',
        status: 'pass',
        figure: '3.2 s',
        why: 'first telemetry on hub B',
      },
      {
        id: 'manual-failover.desired',
        status: 'fail',
        figure: '1 of 2 keys',
        why: 'acknowledge every key of the patch',
      },
      { id: 'kill.skipped', status: 'warn', figure: 'not run', why: 'it never came back' },
    ],
    verdict: 'fail',
    counts: { pass: 1, warn: 1, fail: 1 },
    report: true,
  }
}

function fakeApp(over: { start?: (r: ExamStartRequest) => Result<ExamSnapshot> } = {}) {
  const started: ExamStartRequest[] = []
  const asked = { devices: 0, stop: 0, report: 0 }
  const ok = <T,>(value: T) => Promise.resolve<Result<T>>({ ok: true, value })
  const api = fakeRendererApi({
    appInfo: () => ok(info),
    examState: () => ok(useApp.getState().exam ?? idleExamSnapshot(true, null)),
    examStart: (r: ExamStartRequest) => {
      started.push(r)
      return Promise.resolve(
        over.start?.(r) ?? {
          ok: true as const,
          value: { ...running(), deviceId: r.deviceId, events: [], lines: [] },
        },
      )
    },
    examStop: () => {
      asked.stop++
      return ok({
        ...done(),
        state: 'stopped' as const,
        reason: 'Stopped: every hub and DPS were restored.',
      })
    },
    examReport: () => {
      asked.report++
      return ok('<!doctype html><title>report</title>')
    },
    labDevices: () => {
      asked.devices++
      return ok(devices)
    },
  })
  return { api, started, asked }
}

const settle = () => act(async () => new Promise((r) => setTimeout(r, 0)))

beforeEach(() => {
  actions.showView('device')
  useApp.setState({ exam: null, examTarget: null, pending: {}, notices: [], info, snapshot: null })
})
afterEach(() => {
  cleanup()
  vi.restoreAllMocks()
})

describe('the lab panel’s exam', () => {
  it('"Examine this device" opens the exam view on the embedded device', async () => {
    connectStore(fakeApp().api)
    await settle()
    render(<App />)
    fireEvent.click(screen.getByTestId('lab-exam-this'))
    await settle()
    expect(useApp.getState().view).toBe('exam')
    expect(screen.getByTestId('exam-view')).toBeTruthy()
    expect(screen.getByTestId('exam-device').textContent).toBe('failover_js')
    expect(screen.getByTestId('view-exam').getAttribute('aria-pressed')).toBe('true')
    expect(screen.getByTestId('view-fleet').getAttribute('aria-pressed')).toBe('false')
  })

  it('lists the other devices on the lab when opened, with Examine beside each connected one', async () => {
    const fx = fakeApp()
    connectStore(fx.api)
    await settle()
    render(<LabPanel />)
    expect(fx.asked.devices).toBe(0)
    const list = screen.getByTestId('lab-devices') as HTMLDetailsElement
    list.open = true
    fireEvent(list, new Event('toggle'))
    await settle()
    expect(fx.asked.devices).toBe(1)
    const rows = screen.getAllByTestId('lab-device')
    // Its own device is "Examine this device", not a row.
    expect(rows.map((r) => r.dataset['id'])).toEqual(['sample-node', 'sample-py'])
    expect(screen.getByTestId('lab-devices-count').textContent).toMatch(/1 other connected/)
    expect(within(rows[0]!).getByText('on hub B')).toBeTruthy()
    expect(within(rows[1]!).getByText('not connected')).toBeTruthy()
    expect(within(rows[1]!).getByRole('button', { name: 'Examine sample-py' })).toHaveProperty(
      'disabled',
      true,
    )
    fireEvent.click(within(rows[0]!).getByRole('button', { name: 'Examine sample-node' }))
    expect(useApp.getState()).toMatchObject({ view: 'exam', examTarget: 'sample-node' })
  })

  it('holds the lab buttons while an exam drives the lab, and says why', async () => {
    connectStore(fakeApp().api)
    await settle()
    useApp.setState({ exam: running() })
    render(<LabPanel />)
    expect(screen.getByTestId('lab-panel-exam-note').textContent).toMatch(/failover_js/)
    expect(screen.getByTestId('lab-hub-a-kill')).toHaveProperty('disabled', true)
    expect(screen.getByTestId('lab-exam-this')).toHaveProperty('disabled', false)
  })
})

describe('the exam view', () => {
  it('says what the exam does; starts with the events chosen, in the exam’s order', async () => {
    const fx = fakeApp()
    connectStore(fx.api)
    await settle()
    actions.openExam('sample-node')
    render(<ExamView />)
    await settle()
    expect(screen.getByTestId('exam-note').textContent).toMatch(
      /kills, silences and restarts its hub[\s\S]*takes\s+minutes[\s\S]*must\s+be connected/,
    )
    expect(screen.getByTestId('exam-status').dataset['state']).toBe('idle')
    const boxes = screen.getAllByRole('checkbox')
    expect(boxes).toHaveLength(6)
    expect(boxes.every((b) => (b as HTMLInputElement).checked)).toBe(true)
    expect(screen.getByTestId('exam-cli').textContent).toBe(
      `npx lizard exam sample-node --url ${controlUrl}`,
    )
    // None: nothing to start, and it says so.
    fireEvent.click(screen.getByRole('button', { name: 'None' }))
    expect(screen.getByTestId('exam-start')).toHaveProperty('disabled', true)
    expect(screen.getByTestId('exam-none-chosen')).toBeTruthy()
    fireEvent.click(screen.getByTestId('exam-event-kill'))
    fireEvent.click(screen.getByTestId('exam-event-manual-failover'))
    fireEvent.change(screen.getByLabelText('At most'), { target: { value: '600' } })
    expect(screen.getByTestId('exam-cli').textContent).toBe(
      `npx lizard exam sample-node --only manual-failover,kill --timeout 10m --url ${controlUrl}`,
    )
    fireEvent.click(screen.getByTestId('exam-start'))
    await settle()
    expect(fx.started).toEqual([
      { deviceId: 'sample-node', events: ['manual-failover', 'kill'], timeBoundSec: 600 },
    ])
    expect(screen.getByTestId('exam-status').dataset['state']).toBe('running')
    expect(screen.getByTestId('exam-start')).toHaveProperty('disabled', true)
    expect(screen.getByTestId('exam-stop')).toHaveProperty('disabled', false)
  })

  it('all six when all are chosen (no list sent); a refusal is shown', async () => {
    const refusal: ContractError = {
      code: 'unavailable',
      message: 'An exam of fleet-1 is under way: one at a time — stop it first.',
    }
    const fx = fakeApp({ start: () => ({ ok: false, error: refusal }) })
    connectStore(fx.api)
    await settle()
    actions.openExam('failover_js')
    render(<ExamView />)
    await settle()
    fireEvent.click(screen.getByTestId('exam-start'))
    await settle()
    expect(fx.started).toEqual([{ deviceId: 'failover_js', timeBoundSec: 1800 }])
    expect(screen.getByRole('alert').textContent).toMatch(/one at a time/)
  })

  it('shows the live checklist: each event with its status in words, its figures, the progress', async () => {
    const fx = fakeApp()
    connectStore(fx.api)
    await settle()
    useApp.setState({ exam: running(), view: 'exam' })
    render(<ExamView />)
    await settle()
    const events = screen.getAllByTestId('exam-event')
    expect(events.map((e) => [e.dataset['id'], e.dataset['status']])).toEqual([
      ['manual-failover', 'done'],
      ['kill', 'running'],
    ])
    expect(within(events[0]!).getByText('done')).toBeTruthy()
    expect(within(events[1]!).getByText('under way')).toBeTruthy()
    const figures = within(events[0]!).getAllByTestId('exam-figure')
    expect(figures.map((f) => f.textContent)).toEqual([
      'back on hub B in 3.2 s (first telemetry)',
      'desired 1 of 2 keys acknowledged (version 4) (a problem)',
    ])
    expect(screen.getAllByTestId('exam-line').map((l) => l.textContent)).toEqual([
      expect.stringMatching(/watching failover_js/),
      expect.stringMatching(/kill: failover_js is on hub A$/),
    ])
    expect(screen.queryByTestId('exam-check')).toBeNull()
    // Running: the chooser is held, Stop stops it.
    expect(screen.getByTestId('exam-event-kill').closest('fieldset')).toHaveProperty(
      'disabled',
      true,
    )
    fireEvent.click(screen.getByTestId('exam-stop'))
    await settle()
    expect(fx.asked.stop).toBe(1)
    expect(screen.getByTestId('exam-status').dataset['state']).toBe('stopped')
    expect(screen.getByTestId('exam-reason').textContent).toMatch(/restored/)
  })

  it('ends with the scorecard (status in words, figure, why) and the HTML report', async () => {
    const fx = fakeApp()
    connectStore(fx.api)
    await settle()
    useApp.setState({ exam: done(), view: 'exam' })
    const made: Blob[] = []
    const clicked: string[] = []
    vi.spyOn(URL, 'createObjectURL').mockImplementation((b) => {
      made.push(b as Blob)
      return 'blob:exam'
    })
    vi.spyOn(URL, 'revokeObjectURL').mockImplementation(() => undefined)
    vi.spyOn(HTMLAnchorElement.prototype, 'click').mockImplementation(function (
      this: HTMLAnchorElement,
    ) {
      clicked.push(this.download)
    })
    render(<ExamView />)
    await settle()
    expect(screen.getByTestId('exam-verdict').dataset['verdict']).toBe('fail')
    expect(screen.getByTestId('exam-verdict').textContent).toBe(
      'FAIL 1 passed, 1 warning, 1 failed',
    )
    const rows = screen.getAllByTestId('exam-check')
    expect(
      rows.map((r) => [r.dataset['id'], within(r).getAllByRole('cell')[0]!.textContent]),
    ).toEqual([
      ['manual-failover.back', 'PASS'],
      ['manual-failover.desired', 'FAIL'],
      ['kill.skipped', 'WARN'],
    ])
    expect(within(rows[1]!).getByText('acknowledge every key of the patch')).toBeTruthy()
    expect(
      within(screen.getAllByTestId('exam-event')[0]!).getByTestId('exam-event-score').textContent,
    ).toBe('3 passed · 0 warnings · 1 failed')
    expect(screen.getByText(/not connected when the kill event was due/)).toBeTruthy()
    fireEvent.click(screen.getByTestId('exam-report'))
    await settle()
    expect(fx.asked.report).toBe(1)
    expect(clicked).toHaveLength(1)
    expect(clicked[0]).toMatch(/^exam-failover_js-.*\.html$/)
    expect(await made[0]!.text()).toBe('<!doctype html><title>report</title>')
  })

  it('says why no exam can run in IoT Central mode, with Start off', async () => {
    connectStore(fakeApp().api)
    await settle()
    useApp.setState({
      exam: idleExamSnapshot(
        false,
        'The exam runs against the embedded lab: switch the device profile to the embedded lab.',
      ),
    })
    actions.openExam('failover_js')
    render(<ExamView />)
    expect(screen.getByTestId('exam-unavailable').textContent).toMatch(/embedded lab/)
    expect(screen.getByTestId('exam-start')).toHaveProperty('disabled', true)
  })
})
