import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { privateLabOptions } from '../../lab/index'
import { AppCore, LogFile, Redactor, safeStorageBox } from '../../electron/core/index'
import { realDeps } from '../../electron/core/engine'
import { deriveDeviceKey } from '../../electron/device/keys'
import type { AppInfo, Result } from '../../shared/contract'
import type { PublicSettings } from '../../shared/settings'
import type { SessionSnapshot, TimelineEntry } from '../../shared/domain'
import { testKeychain } from '../support/keychain'
import { api, testLab, waitFor } from '../support/lab'
import { fast, model } from './fixtures/engine'

// A whole session of the app, with the real engine against a real lab reached through a saved
// profile (the key entered as a user would, the lab's CA in the profile's CA field), a failover,
// commands, and a settings change. Afterwards no key, no SAS signature and no token may be found
// in the settings file, the logs, the diagnostics, a timeline export, or anything the window got.

let dir: string
let central: Awaited<ReturnType<typeof testLab>>
let core: AppCore
const toWindow: unknown[] = []

const call = async <T>(channel: string, request?: unknown): Promise<T> => {
  const r = (await core.invoke(channel, request)) as Result<T>
  toWindow.push(r)
  if (!r.ok) throw new Error(`${channel}: ${r.error.message}`)
  return r.value
}
const snapshot = () => call<SessionSnapshot>('session:snapshot')

beforeAll(async () => {
  dir = mkdtempSync(path.join(os.tmpdir(), 'iotc-secrets-'))
  central = await testLab()
  const redactor = new Redactor()
  core = new AppCore({
    dataDir: dir,
    shell: 'electron',
    version: 'test',
    model,
    deps: realDeps(),
    secretBox: safeStorageBox(testKeychain(), 'linux'),
    redactor,
    logFile: new LogFile(path.join(dir, 'logs'), redactor),
    lab: privateLabOptions(path.join(dir, 'lab')),
    sessionOverrides: { ...fast },
  })
  core.onEvent((event, payload) => toWindow.push({ event, payload }))
  await core.start()
}, 60_000)

afterAll(async () => {
  await core?.stop()
  await central?.stop()
  rmSync(dir, { recursive: true, force: true })
})

describe('keys stay out of everything the app writes or shows', () => {
  it('after a full session: settings, logs, diagnostics, exports and the window are clean', async () => {
    await waitFor(
      'the embedded lab device connects',
      async () => (await snapshot()).state.kind === 'connected',
      30_000,
    )
    const labFacts = core.labHandle!
    const saved = await call<PublicSettings>('settings:save', {
      name: 'Remote lab',
      idScope: central.idScope,
      keyKind: 'group',
      key: central.groupPrimaryKey,
      deviceId: 'secret-dev',
      modelId: model.id,
      provisioningHost: central.dpsHost,
      transport: 'mqtt',
      ca: central.ca,
    })
    expect(saved.profiles[0]).toMatchObject({
      name: 'Remote lab',
      caSubject: expect.stringMatching(/CN=/),
    })
    await waitFor(
      'connected through the profile',
      async () => (await snapshot()).state.kind === 'connected',
      30_000,
    )
    await waitFor(
      'telemetry flowing',
      async () => (await snapshot()).counters.acknowledged > 2,
      20_000,
    )

    const home = (await snapshot()).hub!.host
    await api(central, 'POST', '/system/iothub/devices/secret-dev/manual-failover', {})
    await waitFor(
      'failed over',
      async () => {
        const s = await snapshot()
        return s.state.kind === 'connected' && s.hub?.host !== home
      },
      30_000,
    )
    await api(central, 'POST', '/devices/secret-dev/methods', {
      methodName: 'echo',
      payload: { message: 'hi' },
    })
    await api(central, 'PATCH', '/devices/secret-dev/twin/desired', { fanSpeed: 2 })
    await waitFor(
      'inbound seen',
      async () => (await call<unknown[]>('inbound:list')).length >= 2,
      15_000,
    )
    // A wrong key is tried too: its text must not be echoed anywhere either.
    const wrongKey = Buffer.alloc(64, 7).toString('base64')
    await call('settings:save', {
      ...saved.profiles[0]!,
      profileId: saved.activeProfileId,
      key: wrongKey,
      keyKind: 'group',
      ca: undefined,
    })
    await waitFor(
      'the wrong key is refused',
      async () => (await snapshot()).state.kind === 'failed',
      30_000,
    )
    await call('settings:useLab')
    await waitFor(
      'back on the embedded lab',
      async () => (await snapshot()).state.kind === 'connected',
      30_000,
    )

    const timeline = await call<TimelineEntry[]>('timeline:list')
    const exportLines = timeline
      .map((e) => JSON.stringify({ ...e, time: new Date(e.at).toISOString() }))
      .join('\n')
    const diagnostics = await call<string>('app:diagnostics')
    await call<AppInfo>('app:info')
    await core.stop()

    const files = (folder: string): string[] =>
      readdirSync(folder).flatMap((f) => {
        const p = path.join(folder, f)
        return statSync(p).isDirectory() ? files(p) : [p]
      })
    const logs = files(path.join(dir, 'logs'))
      .map((f) => readFileSync(f, 'utf8'))
      .join('\n')
    const settingsFile = readFileSync(path.join(dir, 'settings.json'), 'utf8')
    expect(logs).toMatch(/\[device\] connected/) // the log is not empty: it is clean
    const places: Record<string, string> = {
      'settings.json': settingsFile,
      logs,
      diagnostics,
      'timeline export': exportLines,
      'the window': JSON.stringify(toWindow),
    }
    const secrets = {
      'the group key': central.groupPrimaryKey,
      'the device key': deriveDeviceKey(central.groupPrimaryKey, 'secret-dev'),
      'the wrong key': wrongKey,
      "the embedded lab's group key": labFacts.groupPrimaryKey,
      "the embedded lab device's key": deriveDeviceKey(labFacts.groupPrimaryKey, 'failover_js'),
    }
    for (const [where, text] of Object.entries(places)) {
      for (const [what, secret] of Object.entries(secrets))
        expect(text.includes(secret), `${what} in ${where}`).toBe(false)
      expect(text, `a SAS signature in ${where}`).not.toMatch(/sig=(?!\[redacted\])[A-Za-z0-9%]/)
      expect(text, `a SAS token in ${where}`).not.toMatch(/SharedAccessSignature (?!\[redacted\])/)
      expect(text, `a connection-string key in ${where}`).not.toMatch(
        /SharedAccessKey=(?!\[redacted\])[A-Za-z0-9+/]/,
      )
    }
  }, 180_000)
})
