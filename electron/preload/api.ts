import type {
  EventChannel,
  EventPayloads,
  InvokeChannel,
  InvokeResponse,
  RendererApi,
  Result,
} from '../../shared/contract'

// Only types come from the contract: the preload bundle stays small and has no zod in it.

/** The part of Electron's ipcRenderer the preload uses, so tests can stand in an in-process pair. */
export interface IpcRendererLike {
  invoke(channel: string, ...args: unknown[]): Promise<unknown>
  on(channel: string, listener: (event: unknown, ...args: unknown[]) => void): unknown
  removeListener(channel: string, listener: (event: unknown, ...args: unknown[]) => void): unknown
}

/**
 * The renderer's API: one named function per contract channel and one `on…` subscription per
 * event. Each subscription strips the IpcRendererEvent (the renderer gets the payload only) and
 * returns its unsubscribe. Nothing generic is exposed: a page cannot name a channel itself.
 */
export function buildRendererApi(ipc: IpcRendererLike): RendererApi {
  function call<C extends InvokeChannel>(
    channel: C,
    ...args: unknown[]
  ): Promise<Result<InvokeResponse<C>>> {
    return ipc.invoke(channel, ...args).then(
      (r) => r as Result<InvokeResponse<C>>,
      (err: unknown) => ({
        ok: false as const,
        error: {
          code: 'unavailable' as const,
          message: `${channel} failed: ${err instanceof Error ? err.message : String(err)}`,
        },
      }),
    )
  }
  function subscribe<E extends EventChannel>(
    channel: E,
    listener: (payload: EventPayloads[E]) => void,
  ): () => void {
    if (typeof listener !== 'function') throw new TypeError('listener must be a function')
    const wrapped = (_event: unknown, payload: unknown) => listener(payload as EventPayloads[E])
    ipc.on(channel, wrapped)
    let active = true
    return () => {
      if (!active) return
      active = false
      ipc.removeListener(channel, wrapped)
    }
  }

  const api = {
    appInfo: () => call('app:info'),
    sessionSnapshot: () => call('session:snapshot'),
    sessionConnect: () => call('session:connect'),
    sessionDisconnect: () => call('session:disconnect'),
    sessionReconnect: () => call('session:reconnect'),
    sessionSetBehaviour: (request) => call('session:setBehaviour', request),
    sessionSetPeriods: (request) => call('session:setPeriods', request),
    sessionSetCommandResponse: (request) => call('session:setCommandResponse', request),
    modelLoad: (request) => call('model:load', request),
    modelReset: () => call('model:reset'),
    timelineList: () => call('timeline:list'),
    telemetryRecent: () => call('telemetry:recent'),
    inboundList: () => call('inbound:list'),
    reportedList: () => call('reported:list'),
    settingsGet: () => call('settings:get'),
    settingsSave: (request) => call('settings:save', request),
    settingsUseLab: () => call('settings:useLab'),
    settingsActivate: (request) => call('settings:activate', request),
    settingsDelete: (request) => call('settings:delete', request),
    labRestart: () => call('lab:restart'),
    labAct: (request) => call('lab:act', request),
    labStatus: () => call('lab:status'),
    labStats: () => call('lab:stats'),
    appDiagnostics: () => call('app:diagnostics'),
    appOpenLogs: () => call('app:openLogs'),
    fleetStart: (request) => call('fleet:start', request),
    fleetStop: () => call('fleet:stop'),
    fleetState: () => call('fleet:state'),
    fleetDevice: (request) => call('fleet:device', request),
    labDevices: () => call('lab:devices'),
    examStart: (request) => call('exam:start', request),
    examStop: () => call('exam:stop'),
    examState: () => call('exam:state'),
    examReport: () => call('exam:report'),
    onSessionChanged: (listener) => subscribe('session:changed', listener),
    onTimelineAdded: (listener) => subscribe('timeline:added', listener),
    onTelemetryAdded: (listener) => subscribe('telemetry:added', listener),
    onInboundAdded: (listener) => subscribe('inbound:added', listener),
    onReportedChanged: (listener) => subscribe('reported:changed', listener),
    onSettingsChanged: (listener) => subscribe('settings:changed', listener),
    onAppChanged: (listener) => subscribe('app:changed', listener),
    onFleetChanged: (listener) => subscribe('fleet:changed', listener),
    onExamChanged: (listener) => subscribe('exam:changed', listener),
  } satisfies RendererApi
  return api
}
