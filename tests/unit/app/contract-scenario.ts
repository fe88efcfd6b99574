import { expect } from 'vitest'
import type { EventChannel, EventPayloads, RendererApi, Result } from '../../../shared/contract'
import { deriveDeviceKey } from '../../../electron/device/keys'
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
    'app:changed': [],
    'fleet:changed': [],
    'exam:changed': [],
  }
  const offs = [
    api.onSessionChanged((p) => got['session:changed'].push(p)),
    api.onTimelineAdded((p) => got['timeline:added'].push(p)),
    api.onTelemetryAdded((p) => got['telemetry:added'].push(p)),
    api.onInboundAdded((p) => got['inbound:added'].push(p)),
    api.onReportedChanged((p) => got['reported:changed'].push(p)),
    api.onSettingsChanged((p) => got['settings:changed'].push(p)),
    api.onAppChanged((p) => got['app:changed'].push(p)),
    api.onFleetChanged((p) => got['fleet:changed'].push(p)),
    api.onExamChanged((p) => got['exam:changed'].push(p)),
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
  // The hint names this app's own lab, so it works whatever other labs run on the machine.
  expect(info.lab?.tryFailover).toBe('npx lizard failover failover_js --url http://127.0.0.1:18090')
  expect(info.lab?.status).toBe('running')
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

  // settings:save — a profile; the session gets the derived device key, never the group key;
  // the renderer sees the device key masked
  const centralKey = 'Y2VudHJhbC1ncm91cC1rZXktbmV2ZXItc2hvd24tdG8tdGhlLXJlbmRlcmVy'
  const dev1Key = deriveDeviceKey(centralKey, 'dev-1')
  const built = sessions().length
  const profile = {
    name: 'Central test',
    idScope: '0ne00ABCDEF',
    keyKind: 'group' as const,
    key: centralKey,
    keepGroupKey: true,
    deviceId: 'dev-1',
    modelId: 'dtmi:Sample:Failover;1',
    provisioningHost: 'global.azure-devices-provisioning.net',
    transport: 'mqtt' as const,
  }
  const saved = value(await api.settingsSave(profile))
  expect(saved).toMatchObject({
    mode: 'central',
    idScope: '0ne00ABCDEF',
    deviceId: 'dev-1',
    keyMasked: '••••••••' + dev1Key.slice(-4),
  })
  expect(saved.profiles).toEqual([
    expect.objectContaining({ name: 'Central test', groupKeyKept: true, keyUnreadable: false }),
  ])
  const profileId = saved.activeProfileId!
  expect(sessions()).toHaveLength(built + 1)
  expect(sessions()[built - 1]!.closed).toBe(true)
  expect(session().options.deviceKey).toBe(dev1Key)
  expect(session().options.groupKey).toBeUndefined()
  expect(session().options.provisioningHost).toBe('global.azure-devices-provisioning.net')
  await until(() => events.got['settings:changed'].length > 0)
  expect(value(await api.appInfo()).mode).toBe('central')
  expect(value(await api.appInfo()).lab).toBeNull()
  // The exam and the lab's device list are the embedded lab's: in central mode they say so.
  const centralExam = value(await api.examState())
  expect(centralExam).toMatchObject({ available: false, state: 'idle' })
  expect(centralExam.unavailableReason).toMatch(/embedded lab/)
  expectError(await api.examStart({ deviceId: 'dev-1' }), 'unavailable', /embedded lab/)
  expectError(await api.labDevices(), 'unavailable', /embedded lab/)

  // An empty key keeps the saved one; the kept group key derives the new device id's key
  value(
    await api.settingsSave({
      ...profile,
      profileId,
      key: '',
      deviceId: 'dev-2',
      transport: 'mqttws',
    }),
  )
  expect(session().options.deviceKey).toBe(deriveDeviceKey(centralKey, 'dev-2'))
  expect(session().options.transport).toBe('mqttws')

  // settings:useLab — back to the embedded lab; the profile stays for later
  const lab = value(await api.settingsUseLab())
  expect(lab.mode).toBe('lab')
  expect(lab.profiles).toHaveLength(1)
  expect(session().options.deviceKey).toBe(deriveDeviceKey(FAKE_LAB_KEY, 'failover_js'))
  expect(session().options.hubLabels).toMatchObject({ 'hub-a:1': 'A', 'hub-b:2': 'B' })

  // settings:activate and settings:delete — switch to the profile and back, then delete it
  expect(value(await api.settingsActivate({ id: profileId })).deviceId).toBe('dev-2')
  const afterDelete = value(await api.settingsDelete({ id: profileId }))
  expect(afterDelete).toMatchObject({ mode: 'lab', profiles: [] })
  expect(session().options.deviceId).toBe('failover_js')

  // lab:restart — the lab comes back where it was and the device carries on
  const restarted = value(await api.labRestart())
  expect(restarted.lab).toMatchObject({ status: 'running', controlUrl: 'http://127.0.0.1:18090' })

  // app:diagnostics — what a user pastes into a ticket, keys masked
  const diag = value(await api.appDiagnostics())
  expect(diag).toMatch(/IoT Central HA device — diagnostics/)
  expect(diag).toMatch(/failover_js/)
  // The masked key is the device key the device uses, whatever the user entered.
  expect(diag).toMatch(/key +device key •+.{4} \(derived from the group key\)/)
  // app:openLogs — a shell without a file manager says where the logs are instead
  expectError(await api.appOpenLogs(), 'unavailable')

  // fleet:state / fleet:start / fleet:device / fleet:stop — a small fleet beside the device, in
  // the embedded lab; its pushes are fleet:changed
  const singleDevice = session()
  const idle = value(await api.fleetState())
  expect(idle).toMatchObject({ available: true, status: 'idle', devices: 0 })
  const started = value(await api.fleetStart({ devices: 3, telemetryMs: 5000 }))
  expect(started).toMatchObject({ status: 'starting', devices: 3, prefix: 'fleet' })
  expect(
    sessions()
      .slice(-3)
      .map((s) => s.options.deviceId),
  ).toEqual(['fleet-0', 'fleet-1', 'fleet-2'])
  // Each fleet device derives its own key from the lab's group key; the single device carries on.
  expect(
    sessions()
      .slice(-3)
      .every((s) => s.options.groupKey === FAKE_LAB_KEY),
  ).toBe(true)
  expect(singleDevice.closed).toBe(false)
  expectError(await api.fleetStart({ devices: 3 }), 'unavailable', /running already/)
  const one = value(await api.fleetDevice({ id: 'fleet-1' }))
  expect(one).toMatchObject({ id: 'fleet-1', live: true, snapshot: { deviceId: 'fleet-1' } })
  expectError(await api.fleetDevice({ id: 'fleet-7' }), 'not-found')
  await until(() => events.got['fleet:changed'].some((f) => f.status === 'starting'))
  const stopped = value(await api.fleetStop())
  expect(stopped.status).toBe('stopped')
  expect(
    sessions()
      .slice(-3)
      .every((s) => s.closed),
  ).toBe(true)
  expect(singleDevice.closed).toBe(false)

  // lab:devices / exam:state / exam:start / exam:report / exam:stop — lizard exam against a
  // device on the embedded lab (runExam's stand-in); its pushes are exam:changed
  const listed = value(await api.labDevices())
  expect(listed.total).toBe(3)
  expect(listed.devices.map((d) => [d.deviceId, d.connected, d.hub])).toEqual([
    ['failover_js', true, 'A'],
    ['sample-node', true, 'B'],
    ['other-offline', false, null],
  ])
  expect(value(await api.examState())).toMatchObject({ available: true, state: 'idle' })
  expectError(await api.examReport(), 'not-found')
  const exam = value(await api.examStart({ deviceId: 'failover_js', events: ['manual-failover'] }))
  expect(exam).toMatchObject({ state: 'running', deviceId: 'failover_js' })
  expect(exam.events.map((e) => e.id)).toEqual(['manual-failover'])
  await until(() => events.got['exam:changed'].some((e) => e.state === 'done'))
  const done = value(await api.examState())
  expect(done.events[0]).toMatchObject({ id: 'manual-failover', status: 'done' })
  expect(done.checks?.map((c) => c.id)).toContain('manual-failover.back')
  expect(done.report).toBe(true)
  const html = value(await api.examReport())
  expect(html).toMatch(/^<!doctype html>/)
  expect(html).toContain('manual-failover.back')
  // One at a time: a second start while one runs is refused, then Stop restores the lab.
  value(await api.examStart({ deviceId: 'slow-device' }))
  expectError(await api.examStart({ deviceId: 'failover_js' }), 'unavailable', /one at a time/)
  const stoppedExam = value(await api.examStop())
  expect(stoppedExam.state).toBe('stopped')
  expect(stoppedExam.reason).toMatch(/restored/)

  // Neither key, nor a key derived from them, ever reached the renderer side.
  const wire = JSON.stringify(allReceived()) + JSON.stringify(events.got) + diag
  for (const secret of [
    centralKey,
    dev1Key,
    deriveDeviceKey(centralKey, 'dev-2'),
    FAKE_LAB_KEY,
    deriveDeviceKey(FAKE_LAB_KEY, 'failover_js'),
  ])
    expect(wire).not.toContain(secret)

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
  // A megabyte in a field is refused, naming the field, before anything else happens.
  const huge = await api.settingsSave({
    idScope: '0ne00ABCDEF',
    keyKind: 'group',
    key: 'A'.repeat(1 << 20),
    deviceId: 'dev-1',
    modelId: 'dtmi:Sample:Failover;1',
    provisioningHost: 'h'.repeat(5000),
    transport: 'mqtt',
  })
  expectError(huge, 'bad-request', /at most/)
  expect(!huge.ok && huge.error.field).toBe('key')
  expect(!huge.ok && huge.error.message.length).toBeLessThan(1000)
  // Nested far deeper than any real request: an answer naming the depth. (Deeper still, past
  // what serializing can take, is tried on the web shell's socket as raw text.)
  let deep: unknown = 1
  for (let i = 0; i < 1_000; i++) deep = [deep]
  const sessionCount = sessions().length
  expectError(
    await loose['labAct']!({ action: 'desired', patch: { fanSpeed: deep } }),
    'bad-request',
    /nests deeper than/,
  )
  expectError(
    await loose['labAct']!({ action: 'invoke', method: 'echo', payload: deep }),
    'bad-request',
    /nests deeper than/,
  )
  // A fleet: 1 to 500 devices, a prefix DPS takes, a telemetry period of 1 s to 1 h.
  for (const bad of [
    { devices: 0 },
    { devices: 501 },
    { devices: 2.5 },
    { devices: 10, prefix: '-fleet' },
    { devices: 10, prefix: 'a b' },
    { devices: 10, prefix: 'x'.repeat(65) },
    { devices: 10, telemetryMs: 100 },
    {},
  ])
    expectError(await loose['fleetStart']!(bad), 'bad-request')
  expectError(await loose['fleetStart']!({ devices: 501 }), 'bad-request', /devices: 1 to 500/)
  expectError(await loose['fleetDevice']!({ id: '../etc/passwd' }), 'bad-request', /id/)
  expectError(await loose['fleetDevice']!({ id: 'fleet-1', timelineAfter: 'x' }), 'bad-request')
  // An exam: a device id DPS would take, events of the exam (each once), a time bound of 1 min to 6 h.
  for (const bad of [
    {},
    { deviceId: '' },
    { deviceId: '../etc/passwd' },
    { deviceId: 'a b' },
    { deviceId: '-dev' },
    { deviceId: 'x'.repeat(129) },
    { deviceId: 'dev', events: [] },
    { deviceId: 'dev', events: ['self-destruct'] },
    { deviceId: 'dev', events: ['kill', 'kill'] },
    { deviceId: 'dev', events: 'kill' },
    { deviceId: 'dev', timeBoundSec: 5 },
    { deviceId: 'dev', timeBoundSec: 99_999 },
    { deviceId: 'dev', timeBoundSec: 90.5 },
  ])
    expectError(await loose['examStart']!(bad), 'bad-request')
  expectError(await loose['examStart']!({ deviceId: 'a b' }), 'bad-request', /deviceId/)
  expect(sessions().length).toBe(sessionCount)
  expect(sessions()[sessions().length - 1]!.calls.length).toBe(before)
}
