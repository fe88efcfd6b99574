import { expect } from 'vitest'
import type { EventChannel, EventPayloads, RendererApi, Result } from '../../../shared/contract'
import type { FakeSession } from './fakes'
import { FAKE_LAB_KEY } from './fakes'

export function value<T>(r: Result<T>): T {
  if (!r.ok) throw new Error(`expected ok, got ${r.error.code}: ${r.error.message}`)
  return r.value
}

export function expectError(r: Result<unknown>, code: string, match?: RegExp): void {
  expect(r.ok).toBe(false)
  if (r.ok) return
  expect(r.error.code).toBe(code)
  if (match) expect(r.error.message).toMatch(match)
}

export async function until(cond: () => boolean, ms = 3000): Promise<void> {
  const end = Date.now() + ms
  while (!cond()) {
    if (Date.now() > end) throw new Error('condition not met in time')
    await new Promise((r) => setTimeout(r, 10))
  }
}

/** Records every event the renderer side gets. */
export function recordEvents(api: RendererApi) {
  const got: { [E in EventChannel]: EventPayloads[E][] } = {
    'session:changed': [],
    'timeline:added': [],
    'telemetry:added': [],
    'inbound:added': [],
    'reported:changed': [],
    'settings:changed': [],
  }
  const offs = [
    api.onSessionChanged((p) => got['session:changed'].push(p)),
    api.onTimelineAdded((p) => got['timeline:added'].push(p)),
    api.onTelemetryAdded((p) => got['telemetry:added'].push(p)),
    api.onInboundAdded((p) => got['inbound:added'].push(p)),
    api.onReportedChanged((p) => got['reported:changed'].push(p)),
    api.onSettingsChanged((p) => got['settings:changed'].push(p)),
  ]
  return { got, off: () => offs.forEach((o) => o()) }
}

/**
 * Every invoke channel, through whichever shell `api` speaks to, against an AppCore running the
 * fake engine and the fake lab. `sessions()` returns the fake sessions built so far.
 */
export async function exerciseEveryChannel(
  api: RendererApi,
  sessions: () => FakeSession[],
  allReceived: () => unknown[],
) {
  const events = recordEvents(api)
  const session = () => sessions()[sessions().length - 1]!

  // app:info — lab mode, with the command to try
  const info = value(await api.appInfo())
  expect(info.mode).toBe('lab')
  expect(info.lab?.tryFailover).toMatch(/lizard failover failover_js$/)
  expect(info.model.id).toBe('dtmi:Sample:Failover;1')

  // session:snapshot — the fake connected on start
  const snap = value(await api.sessionSnapshot())
  expect(snap.deviceId).toBe('failover_js')
  expect(snap.state.kind).toBe('connected')
  expect(snap.hub?.label).toBe('A')

  // session:setBehaviour / setPeriods
  const b = value(await api.sessionSetBehaviour({ name: 'telemetry', enabled: false }))
  expect(b.telemetry).toBe(false)
  expect(session().calls).toContain('setBehaviour telemetry false')
  const p = value(await api.sessionSetPeriods({ telemetryMs: 1000 }))
  expect(p).toEqual({ telemetryMs: 1000, reportedMs: 15000 })

  // session:disconnect / connect / reconnect
  expect(value(await api.sessionDisconnect())).toBeNull()
  expect(value(await api.sessionConnect())).toBeNull()
  expect(value(await api.sessionReconnect())).toBeNull()
  expect(session().calls).toEqual(expect.arrayContaining(['disconnect', 'connect', 'reconnect']))

  // lists
  session().sendTelemetry(3)
  session().receiveMethod('echo', { message: 'hi' })
  session().report({ battery: 80 }, 'queued', 9000)
  session().report({ battery: 80 }, 'acknowledged', 9000)
  const tl = value(await api.timelineList())
  expect(tl.map((e) => e.state)).toEqual(['connected', 'disconnected', 'connected', 'reconnecting'])
  expect(value(await api.telemetryRecent())).toHaveLength(3)
  expect(value(await api.inboundList())[0]).toMatchObject({
    kind: 'method',
    name: 'echo',
    payload: { message: 'hi' },
  })
  expect(value(await api.reportedList())).toEqual([
    expect.objectContaining({ id: 9000, status: 'acknowledged' }),
  ])

  // events arrive batched
  await until(
    () => events.got['inbound:added'].length > 0 && events.got['reported:changed'].length > 0,
  )
  await until(() => events.got['telemetry:added'].flat().length === 3)
  expect(events.got['reported:changed'].flat()).toEqual([
    expect.objectContaining({ id: 9000, status: 'acknowledged' }),
  ])
  await until(() => events.got['session:changed'].some((s) => s.counters.sent === 3))

  // settings:get — lab mode, key masked
  const s0 = value(await api.settingsGet())
  expect(s0.mode).toBe('lab')
  expect(s0.keyMasked).toMatch(/^•+.{4}$/)

  // settings:save — central; the session is rebuilt with the key; the renderer gets it masked only
  const centralKey = 'Y2VudHJhbC1ncm91cC1rZXktbmV2ZXItc2hvd24tdG8tdGhlLXJlbmRlcmVy'
  const built = sessions().length
  const saved = value(
    await api.settingsSave({
      idScope: '0ne00ABCDEF',
      keyKind: 'group',
      key: centralKey,
      deviceId: 'dev-1',
      modelId: 'dtmi:Sample:Failover;1',
      provisioningHost: 'global.azure-devices-provisioning.net',
      transport: 'mqtt',
    }),
  )
  expect(saved).toMatchObject({
    mode: 'central',
    idScope: '0ne00ABCDEF',
    deviceId: 'dev-1',
    keyMasked: '••••••••' + centralKey.slice(-4),
  })
  expect(sessions()).toHaveLength(built + 1)
  expect(sessions()[built - 1]!.closed).toBe(true)
  expect(session().options.groupKey).toBe(centralKey)
  expect(session().options.provisioningHost).toBe('global.azure-devices-provisioning.net')
  await until(() => events.got['settings:changed'].length > 0)
  expect(value(await api.appInfo()).mode).toBe('central')
  expect(value(await api.appInfo()).lab).toBeNull()

  // settings:save with an empty key keeps the saved one
  value(
    await api.settingsSave({
      idScope: '0ne00ABCDEF',
      keyKind: 'group',
      key: '',
      deviceId: 'dev-2',
      modelId: 'dtmi:Sample:Failover;1',
      provisioningHost: 'global.azure-devices-provisioning.net',
      transport: 'mqttws',
    }),
  )
  expect(session().options.groupKey).toBe(centralKey)
  expect(session().options.transport).toBe('mqttws')

  // settings:useLab — back to the embedded lab
  const lab = value(await api.settingsUseLab())
  expect(lab.mode).toBe('lab')
  expect(session().options.groupKey).toBe(FAKE_LAB_KEY)
  expect(session().options.hubLabels).toMatchObject({ 'hub-a:1': 'A', 'hub-b:2': 'B' })

  // Neither key ever reached the renderer side.
  const wire = JSON.stringify(allReceived()) + JSON.stringify(events.got)
  expect(wire).not.toContain(centralKey)
  expect(wire).not.toContain(FAKE_LAB_KEY)

  events.off()
}

/** Bad input on every kind of channel comes back as a typed bad-request error, not a throw. */
export async function exerciseBadInput(api: RendererApi, sessions: () => FakeSession[]) {
  const loose = api as unknown as Record<string, (...a: unknown[]) => Promise<Result<unknown>>>
  const before = sessions()[sessions().length - 1]!.calls.length
  expectError(
    await loose['sessionSetBehaviour']!({ name: 'selfDestruct', enabled: true }),
    'bad-request',
    /name/,
  )
  expectError(
    await loose['sessionSetBehaviour']!({ name: 'telemetry', enabled: 'yes' }),
    'bad-request',
    /enabled/,
  )
  expectError(await loose['sessionSetBehaviour']!(), 'bad-request')
  expectError(await loose['sessionSetPeriods']!({}), 'bad-request', /telemetryMs or reportedMs/)
  expectError(await loose['sessionSetPeriods']!({ telemetryMs: 5 }), 'bad-request', /telemetryMs/)
  expectError(
    await loose['settingsSave']!({
      idScope: 'x',
      keyKind: 'group',
      key: 'not base64!',
      deviceId: 'dev 1',
      modelId: 'nope',
      provisioningHost: 'a b',
      transport: 'carrier-pigeon',
    }),
    'bad-request',
    /idScope.*key.*deviceId.*modelId.*provisioningHost.*transport/s,
  )
  // Central settings without any key saved yet: a typed settings error, nothing changes.
  expectError(
    await api.settingsSave({
      idScope: '0ne00ABCDEF',
      keyKind: 'device',
      key: '',
      deviceId: 'dev-1',
      modelId: 'dtmi:Sample:Failover;1',
      provisioningHost: 'global.azure-devices-provisioning.net',
      transport: 'mqtt',
    }),
    'bad-settings',
    /key/,
  )
  expect(sessions()[sessions().length - 1]!.calls.length).toBe(before)
}
