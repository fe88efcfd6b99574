import { create } from 'zustand'
import type { AppInfo, ContractError, RendererApi, Result } from '../../shared/contract'
import type {
  AppError,
  BehaviourName,
  InboundEntry,
  Periods,
  ReportedEntry,
  SessionSnapshot,
  TelemetrySample,
  TimelineEntry,
} from '../../shared/domain'
import type { PublicSettings, SettingsInput } from '../../shared/settings'
import type { LabAction, LabStats, LabStatus } from '../../shared/lab-actions'
import type { ModelReport } from '../../shared/dtdl/types'
import type { FleetDeviceDetail, FleetSnapshot, FleetStartRequest } from '../../shared/fleet-view'
import type { ExamSnapshot, ExamStartRequest, LabDeviceList } from '../../shared/exam-view'
import { TIMELINE_RETENTION } from '../../shared/domain'
import { plotWindowMs } from './plot-model'
import { copyText } from './format'
import { readTemplateFiles } from './template-files'

// One store for the window. Data flows one way: contract events → store → view; user actions go
// back as contract calls and their failures land in `notices` (shown in the error banner).

/** The window keeps what the engine keeps, so a reload shows the same history. */
const MAX_TIMELINE = TIMELINE_RETENTION
/** Telemetry for the plot: thirty minutes, and never more than this many samples. */
const MAX_TELEMETRY = 20_000

/** The last thirty minutes (and at most MAX_TELEMETRY samples) of a telemetry list. */
function recentWindow(list: TelemetrySample[]): TelemetrySample[] {
  const newest = list[list.length - 1]?.at ?? 0
  let from = Math.max(0, list.length - MAX_TELEMETRY)
  while (from < list.length && list[from]!.at < newest - plotWindowMs) from++
  return from > 0 ? list.slice(from) : list
}
const MAX_INBOUND = 5_000
const MAX_REPORTED = 2_000

export interface Notice {
  id: number
  error: AppError
  at: number
}

/** The last template load (or reset) and where it was asked from: the banner shows dropped ones. */
export interface TemplateLoad {
  id: number
  via: 'drop' | 'settings'
  /** What the app said; null when it could not be asked (the reason is in `error`). */
  report: ModelReport | null
  /** Files not sent, each with why (too large, too many, not .json). */
  skipped: string[]
  error: string | null
}

/** The single device, the fleet view beside it, or the exam of a device on the lab. */
export type View = 'device' | 'fleet' | 'exam'

/** What the single-device view is drawn from: the device's own, or a fleet device's. */
export type DeviceData = Pick<
  AppState,
  'snapshot' | 'timeline' | 'telemetry' | 'inbound' | 'reported' | 'hubLabels'
>

/** A fleet device shown in the single-device view, read-only. */
export interface FleetDeviceView extends DeviceData {
  id: string
  snapshot: SessionSnapshot
  /** Its fleet runs (the view follows it) or stopped (what it had then). */
  live: boolean
}

export interface AppState {
  info: AppInfo | null
  settings: PublicSettings | null
  snapshot: SessionSnapshot | null
  timeline: TimelineEntry[]
  telemetry: TelemetrySample[]
  inbound: InboundEntry[]
  reported: ReportedEntry[]
  /** host → display label, from the snapshot (the timeline only carries hosts). */
  hubLabels: Record<string, string>
  notices: Notice[]
  transport: 'connecting' | 'open' | 'closed'
  settingsOpen: boolean
  /** What the dialog opens on: the profile in use, or a new one ("Add a profile…"). */
  settingsFor: 'current' | 'new'
  pending: Partial<Record<string, boolean>>
  templateLoad: TemplateLoad | null
  view: View
  /** The fleet beside the single device (null until the app said). */
  fleet: FleetSnapshot | null
  /** A fleet device opened from the fleet view; the single-device view shows it instead. */
  fleetDevice: FleetDeviceView | null
  /** The exam (null until the app said). */
  exam: ExamSnapshot | null
  /** The device the exam view is about to examine ("Examine" in the lab panel). */
  examTarget: string | null
}

export const useApp = create<AppState>()(() => ({
  info: null,
  settings: null,
  snapshot: null,
  timeline: [],
  telemetry: [],
  inbound: [],
  reported: [],
  hubLabels: {},
  notices: [],
  transport: 'open',
  settingsOpen: false,
  settingsFor: 'current',
  pending: {},
  templateLoad: null,
  view: 'device',
  fleet: null,
  fleetDevice: null,
  exam: null,
  examTarget: null,
}))

/**
 * Reads what the single-device view shows: the device's own data, or the fleet device opened
 * from the fleet view (the same fields, so the same components draw either).
 */
export function useDevice<T>(select: (d: DeviceData) => T): T {
  return useApp((s) => select(s.fleetDevice ?? s))
}

/** The view shows a fleet device: its controls act on nothing. */
export const useReadOnly = () => useApp((s) => s.fleetDevice !== null)

let api: RendererApi | null = null
let noticeId = 1
let templateLoadId = 1
let unsubscribers: (() => void)[] = []

function requireApi(): RendererApi {
  if (!api) throw new Error('the app API is not connected')
  return api
}

export function notify(error: AppError): void {
  useApp.setState((s) => ({
    notices: [...s.notices.slice(-4), { id: noticeId++, error, at: Date.now() }],
  }))
}

export function dismissNotice(id: number): void {
  useApp.setState((s) => ({ notices: s.notices.filter((n) => n.id !== id) }))
}

/** Runs a call, records it as pending under `key`, turns a failure into a notice. */
async function run<T>(key: string, fn: () => Promise<Result<T>>): Promise<Result<T>> {
  useApp.setState((s) => ({ pending: { ...s.pending, [key]: true } }))
  try {
    const r = await fn()
    if (!r.ok) notify(r.error)
    return r
  } finally {
    useApp.setState((s) => ({ pending: { ...s.pending, [key]: false } }))
  }
}

function learnLabels(snapshot: SessionSnapshot) {
  const known = useApp.getState().hubLabels
  const next = snapshot.hubLabels
  const same =
    Object.keys(next).length === Object.keys(known).length &&
    Object.keys(next).every((h) => next[h] === known[h])
  // Kept apart from the snapshot so the timeline filter only reruns when the labels change.
  if (!same) useApp.setState({ hubLabels: next })
}

function setSnapshot(snapshot: SessionSnapshot) {
  learnLabels(snapshot)
  useApp.setState({ snapshot })
}

function appendById<T extends { id: number }>(list: T[], items: T[], max: number): T[] {
  const lastId = list.length ? list[list.length - 1]!.id : -Infinity
  const fresh = items.filter((i) => i.id > lastId)
  if (!fresh.length) return list
  const next = list.concat(fresh)
  return next.length > max ? next.slice(next.length - max) : next
}

function mergeReported(list: ReportedEntry[], items: ReportedEntry[]): ReportedEntry[] {
  const byId = new Map(list.map((e) => [e.id, e] as const))
  for (const e of items) byId.set(e.id, e)
  const merged = [...byId.values()].sort((a, b) => a.id - b.id)
  return merged.length > MAX_REPORTED ? merged.slice(merged.length - MAX_REPORTED) : merged
}

/** A new fleet's devices are new sessions: a device of the last one shown is not one of them. */
function setFleet(fleet: FleetSnapshot) {
  const before = useApp.getState().fleet
  const newRun =
    before?.startedAt != null && fleet.startedAt != null && before.startedAt !== fleet.startedAt
  if (newRun && useApp.getState().fleetDevice) {
    stopFleetDevicePoll()
    useApp.setState({ fleet, fleetDevice: null })
  } else useApp.setState({ fleet })
}

/** Connects the store to the API: subscribes to every event, then loads the current state. */
export function connectStore(rendererApi: RendererApi): () => void {
  api = rendererApi
  for (const u of unsubscribers) u()
  unsubscribers = [
    rendererApi.onSessionChanged(setSnapshot),
    rendererApi.onTimelineAdded((items) =>
      useApp.setState((s) => ({ timeline: appendById(s.timeline, items, MAX_TIMELINE) })),
    ),
    rendererApi.onTelemetryAdded((items) =>
      useApp.setState((s) => ({ telemetry: recentWindow(s.telemetry.concat(items)) })),
    ),
    rendererApi.onInboundAdded((items) =>
      useApp.setState((s) => ({ inbound: appendById(s.inbound, items, MAX_INBOUND) })),
    ),
    rendererApi.onReportedChanged((items) =>
      useApp.setState((s) => ({ reported: mergeReported(s.reported, items) })),
    ),
    rendererApi.onSettingsChanged((settings) => {
      useApp.setState({ settings })
      // A new device session: start the lists over.
      void reloadAll(true)
    }),
    rendererApi.onAppChanged((info) => useApp.setState({ info })),
    rendererApi.onFleetChanged(setFleet),
    rendererApi.onExamChanged((exam) => useApp.setState({ exam })),
  ]
  void reloadAll(false)
  return () => {
    for (const u of unsubscribers) u()
    unsubscribers = []
  }
}

/** Loads everything the window shows. `fresh` drops the lists first (new device session). */
export async function reloadAll(fresh: boolean): Promise<void> {
  const a = requireApi()
  if (fresh) useApp.setState({ timeline: [], telemetry: [], inbound: [], reported: [] })
  // Quietly: an app without a fleet (an older shell, a test) just shows none.
  void a.fleetState().then((r) => {
    if (r.ok) setFleet(r.value)
  })
  void a.examState().then((r) => {
    if (r.ok) useApp.setState({ exam: r.value })
  })
  const [info, settings, snapshot] = await Promise.all([
    a.appInfo(),
    a.settingsGet(),
    a.sessionSnapshot(),
  ])
  if (info.ok) useApp.setState({ info: info.value })
  else notify(info.error)
  if (settings.ok) useApp.setState({ settings: settings.value })
  if (!snapshot.ok) {
    notify(snapshot.error)
    return
  }
  setSnapshot(snapshot.value)
  const [timeline, telemetry, inbound, reported] = await Promise.all([
    a.timelineList(),
    a.telemetryRecent(),
    a.inboundList(),
    a.reportedList(),
  ])
  useApp.setState((s) => ({
    timeline: timeline.ok ? mergeList(timeline.value, s.timeline, MAX_TIMELINE) : s.timeline,
    telemetry: telemetry.ok ? mergeTelemetry(telemetry.value, s.telemetry) : s.telemetry,
    inbound: inbound.ok ? mergeList(inbound.value, s.inbound, MAX_INBOUND) : s.inbound,
    reported: reported.ok ? mergeReported(s.reported, reported.value) : s.reported,
  }))
}

/** The app's info again: a template changes the model every view is drawn from. */
async function refreshInfo(): Promise<void> {
  const info = await requireApi().appInfo()
  if (info.ok) useApp.setState({ info: info.value })
}

/** A fetched list plus whatever events arrived meanwhile with newer ids, within the bound. */
function mergeList<T extends { id: number }>(fetched: T[], live: T[], max: number): T[] {
  const all = appendById(fetched, live, max)
  return all.length > max ? all.slice(all.length - max) : all
}

function mergeTelemetry(fetched: TelemetrySample[], live: TelemetrySample[]): TelemetrySample[] {
  const lastSeq = fetched.length ? fetched[fetched.length - 1]!.seq : -Infinity
  const next = fetched.concat(live.filter((s) => s.seq > lastSeq))
  return recentWindow(next)
}

/**
 * What the user last asked of each switch, while the engine has not confirmed it yet. A switch is
 * never disabled while a call is on its way: a second press (or Space) is the user's latest word
 * and is carried out after the first, in order — a press swallowed by a disabled control was a
 * defect (and made the browser test fail at random).
 */
const switchIntent = new Map<BehaviourName, boolean>()
const switchSending = new Set<BehaviourName>()
/** The engine's value before the first unconfirmed press, to fall back on if it refuses. */
const switchConfirmed = new Map<BehaviourName, boolean>()

function showBehaviour(name: BehaviourName, enabled: boolean) {
  useApp.setState((s) =>
    s.snapshot
      ? { snapshot: { ...s.snapshot, behaviours: { ...s.snapshot.behaviours, [name]: enabled } } }
      : {},
  )
}

async function sendBehaviour(name: BehaviourName): Promise<void> {
  if (switchSending.has(name)) return
  switchSending.add(name)
  try {
    for (;;) {
      const wanted = switchIntent.get(name)
      if (wanted === undefined) return
      const r = await run(`behaviour:${name}`, () =>
        requireApi().sessionSetBehaviour({ name, enabled: wanted }),
      )
      if (switchIntent.get(name) !== wanted) continue // pressed again meanwhile: send the latest
      switchIntent.delete(name)
      if (r.ok)
        useApp.setState((s) =>
          s.snapshot ? { snapshot: { ...s.snapshot, behaviours: r.value } } : {},
        )
      else {
        // Refused: show what the engine has, not what was asked.
        const snap = await requireApi().sessionSnapshot()
        if (snap.ok) setSnapshot(snap.value)
        else showBehaviour(name, switchConfirmed.get(name) ?? !wanted)
      }
      return
    }
  } finally {
    switchSending.delete(name)
    if (!switchIntent.has(name)) switchConfirmed.delete(name)
  }
}

/** The open fleet device is read again this often while its fleet runs. */
const fleetDevicePollMs = 1000
let fleetDeviceTimer: ReturnType<typeof setInterval> | null = null
/** The fleet device being read now: one read at a time for it (a slow answer is not doubled). */
let fleetDeviceReading: string | null = null
/** The fleet device the window asked for last (null: none is open). */
let fleetDeviceOpen: string | null = null

function stopFleetDevicePoll() {
  if (fleetDeviceTimer) clearInterval(fleetDeviceTimer)
  fleetDeviceTimer = null
  fleetDeviceOpen = null
}

function fleetDeviceView(d: FleetDeviceDetail, before: FleetDeviceView | null): FleetDeviceView {
  const same = before?.id === d.id ? before : null
  return {
    id: d.id,
    live: d.live,
    snapshot: d.snapshot,
    hubLabels: d.snapshot.hubLabels,
    timeline: same ? mergeList(same.timeline, d.timeline, MAX_TIMELINE) : d.timeline,
    telemetry: same ? recentWindow(same.telemetry.concat(d.telemetry)) : recentWindow(d.telemetry),
    inbound: same ? mergeList(same.inbound, d.inbound, MAX_INBOUND) : d.inbound,
    reported: same ? mergeReported(same.reported, d.reported) : d.reported,
  }
}

/** Reads the open fleet device again: only what came after what the window has. */
async function readFleetDevice(id: string): Promise<void> {
  if (fleetDeviceReading === id) return
  fleetDeviceReading = id
  try {
    const before = useApp.getState().fleetDevice
    const mine = before?.id === id ? before : null
    const r = await requireApi().fleetDevice({
      id,
      ...(mine
        ? {
            timelineAfter: mine.timeline[mine.timeline.length - 1]?.id ?? -1,
            telemetryAfter: mine.telemetry[mine.telemetry.length - 1]?.seq ?? -1,
            inboundAfter: mine.inbound[mine.inbound.length - 1]?.id ?? -1,
          }
        : {}),
    })
    // Closed, or another device opened, while this was on its way.
    if (fleetDeviceOpen !== id) return
    if (!r.ok) {
      stopFleetDevicePoll()
      notify(r.error)
      useApp.setState({ fleetDevice: null })
      return
    }
    useApp.setState((s) => ({ fleetDevice: fleetDeviceView(r.value, s.fleetDevice) }))
    if (!r.value.live) stopFleetDevicePoll()
  } finally {
    if (fleetDeviceReading === id) fleetDeviceReading = null
  }
}

export const actions = {
  connect: () => run('connect', () => requireApi().sessionConnect()),
  disconnect: () => run('disconnect', () => requireApi().sessionDisconnect()),
  reconnect: () => run('reconnect', () => requireApi().sessionReconnect()),
  /** The switch moves at once; the engine's answer (or a failure) settles it. */
  setBehaviour(name: BehaviourName, enabled: boolean): Promise<void> {
    const shown = useApp.getState().snapshot?.behaviours[name]
    if (!switchConfirmed.has(name) && shown !== undefined) switchConfirmed.set(name, shown)
    switchIntent.set(name, enabled)
    showBehaviour(name, enabled)
    return sendBehaviour(name)
  },
  async setPeriods(periods: Partial<Periods>) {
    const r = await run('periods', () => requireApi().sessionSetPeriods(periods))
    if (r.ok)
      useApp.setState((s) => (s.snapshot ? { snapshot: { ...s.snapshot, periods: r.value } } : {}))
  },
  /** Returns the error so the form can show it next to the fields (`field` names which). */
  async saveSettings(input: SettingsInput): Promise<ContractError | null> {
    useApp.setState((s) => ({ pending: { ...s.pending, settings: true } }))
    try {
      const r = await requireApi().settingsSave(input)
      if (!r.ok) return r.error
      useApp.setState({ settings: r.value, settingsOpen: false })
      return null
    } finally {
      useApp.setState((s) => ({ pending: { ...s.pending, settings: false } }))
    }
  },
  async useLab() {
    const r = await run('settings', () => requireApi().settingsUseLab())
    if (r.ok) useApp.setState({ settings: r.value, settingsOpen: false })
  },
  async activateProfile(id: string) {
    const r = await run('settings', () => requireApi().settingsActivate({ id }))
    if (r.ok) useApp.setState({ settings: r.value })
  },
  /** Returns the error so the dialog can show it. */
  async deleteProfile(id: string): Promise<AppError | null> {
    const r = await run('settings', () => requireApi().settingsDelete({ id }))
    if (r.ok) useApp.setState({ settings: r.value })
    return r.ok ? null : r.error
  },
  async restartLab() {
    const r = await run('lab', () => requireApi().labRestart())
    if (r.ok) useApp.setState({ info: r.value })
  },
  async copyDiagnostics(): Promise<boolean> {
    const r = await run('diagnostics', () => requireApi().appDiagnostics())
    return r.ok ? copyText(r.value) : false
  },
  openLogs: () => run('logs', () => requireApi().appOpenLogs()),
  /** A lab-panel action; its answer (or the lab's refusal) is shown by the panel itself. */
  async labAct(action: LabAction): Promise<Result<string>> {
    useApp.setState((s) => ({ pending: { ...s.pending, 'lab:act': true } }))
    try {
      return await requireApi().labAct(action)
    } finally {
      useApp.setState((s) => ({ pending: { ...s.pending, 'lab:act': false } }))
    }
  },
  /** The lab's own view of its hubs and DPS; null when it cannot be read (quietly: it is polled). */
  async labStatus(): Promise<LabStatus | null> {
    const r = await requireApi().labStatus()
    return r.ok ? r.value : null
  },
  async labStats(): Promise<LabStats | null> {
    const r = await requireApi().labStats()
    return r.ok ? r.value : null
  },
  /**
   * Loads a device template: the chosen (or dropped) files, the first being the template, then a
   * models folder's files to resolve what it references. Files past the bounds are skipped and
   * named; a template the app refuses leaves the device on its previous model.
   */
  async loadTemplate(
    templates: readonly File[],
    folder: readonly File[],
    via: TemplateLoad['via'],
    /** Left out before reading (a dropped file that is not .json), to be said with the rest. */
    leftOut: readonly string[] = [],
  ): Promise<TemplateLoad> {
    const read = await readTemplateFiles(templates, folder)
    const done = (load: Omit<TemplateLoad, 'id' | 'via'>): TemplateLoad => {
      const t = { id: templateLoadId++, via, ...load, skipped: [...leftOut, ...load.skipped] }
      useApp.setState({ templateLoad: t })
      return t
    }
    if (read.files.length === 0)
      return done({ report: null, skipped: read.skipped, error: 'No template file to load.' })
    const r = await run('model', () => requireApi().modelLoad({ files: read.files }))
    if (!r.ok) return done({ report: null, skipped: read.skipped, error: r.error.message })
    if (r.value.loaded) await refreshInfo()
    return done({ report: r.value, skipped: read.skipped, error: null })
  },
  async resetTemplate(via: TemplateLoad['via']): Promise<void> {
    const r = await run('model', () => requireApi().modelReset())
    if (r.ok) await refreshInfo()
    useApp.setState({
      templateLoad: {
        id: templateLoadId++,
        via,
        report: r.ok ? r.value : null,
        skipped: [],
        error: r.ok ? null : r.error.message,
      },
    })
  },
  dismissTemplateLoad: () => useApp.setState({ templateLoad: null }),
  /** A fixed answer for a synchronous command (null: generated again); the panel shows a refusal. */
  async setCommandResponse(command: string, response: unknown): Promise<ContractError | null> {
    const r = await requireApi().sessionSetCommandResponse({ command, response })
    if (!r.ok) return r.error
    // The snapshot says which responses are fixed now, whatever else the engine changed with it.
    const snap = await requireApi().sessionSnapshot()
    if (snap.ok) setSnapshot(snap.value)
    return null
  },
  /** The single device or the fleet view; either way, no fleet device stays open. */
  showView(view: View) {
    stopFleetDevicePoll()
    useApp.setState({ view, fleetDevice: null })
  },
  /** Settings' "Run a fleet": the dialog closes on the fleet view. */
  openFleetFromSettings() {
    stopFleetDevicePoll()
    useApp.setState({ settingsOpen: false, view: 'fleet', fleetDevice: null })
  },
  /** The fleet as it is now; asking keeps the lab's counts coming while the view is open. */
  async watchFleet(): Promise<void> {
    const r = await requireApi().fleetState()
    if (r.ok) setFleet(r.value)
  },
  /** Returns the error so the form can show it beside the fields (`field` names which). */
  async startFleet(request: FleetStartRequest): Promise<ContractError | null> {
    useApp.setState((s) => ({ pending: { ...s.pending, fleet: true } }))
    try {
      const r = await requireApi().fleetStart(request)
      if (!r.ok) return r.error
      setFleet(r.value)
      return null
    } finally {
      useApp.setState((s) => ({ pending: { ...s.pending, fleet: false } }))
    }
  },
  async stopFleet(): Promise<void> {
    const r = await run('fleet', () => requireApi().fleetStop())
    if (r.ok) setFleet(r.value)
  },
  /** Shows one fleet device in the single-device view (read-only), following it while it runs. */
  async openFleetDevice(id: string): Promise<void> {
    stopFleetDevicePoll()
    fleetDeviceOpen = id
    useApp.setState({ view: 'fleet', fleetDevice: null })
    await readFleetDevice(id)
    const shown = useApp.getState().fleetDevice
    if (fleetDeviceOpen !== id || shown?.id !== id || !shown.live) return
    fleetDeviceTimer = setInterval(() => void readFleetDevice(id), fleetDevicePollMs)
  },
  /** Back to the fleet view from a fleet device. */
  closeFleetDevice() {
    stopFleetDevicePoll()
    useApp.setState({ fleetDevice: null, view: 'fleet' })
  },
  /** "Examine" in the lab panel: the exam view, about that device. */
  openExam(deviceId: string) {
    stopFleetDevicePoll()
    useApp.setState({ view: 'exam', fleetDevice: null, examTarget: deviceId })
  },
  async watchExam(): Promise<void> {
    const r = await requireApi().examState()
    if (r.ok) useApp.setState({ exam: r.value })
  },
  /** Returns the error so the view can show it beside the form. */
  async startExam(request: ExamStartRequest): Promise<ContractError | null> {
    useApp.setState((s) => ({ pending: { ...s.pending, exam: true } }))
    try {
      const r = await requireApi().examStart(request)
      if (!r.ok) return r.error
      useApp.setState({ exam: r.value })
      return null
    } finally {
      useApp.setState((s) => ({ pending: { ...s.pending, exam: false } }))
    }
  },
  async stopExam(): Promise<void> {
    useApp.setState((s) => ({ pending: { ...s.pending, 'exam:stop': true } }))
    try {
      const r = await requireApi().examStop()
      if (r.ok) useApp.setState({ exam: r.value })
      else notify(r.error)
    } finally {
      useApp.setState((s) => ({ pending: { ...s.pending, 'exam:stop': false } }))
    }
  },
  /** The last exam's HTML report; null (and a notice) when there is none. */
  async examReport(): Promise<string | null> {
    const r = await run('exam:report', () => requireApi().examReport())
    return r.ok ? r.value : null
  },
  /** The devices on the embedded lab; no notice when it cannot be asked (it is polled). */
  async labDevices(): Promise<Result<LabDeviceList>> {
    return requireApi().labDevices()
  },
  openSettings: (open: boolean, settingsFor: AppState['settingsFor'] = 'current') =>
    useApp.setState({ settingsOpen: open, settingsFor }),
  setTransport: (transport: AppState['transport']) => useApp.setState({ transport }),
}
