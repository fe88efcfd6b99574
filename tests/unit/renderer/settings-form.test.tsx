// @vitest-environment happy-dom
import { act, cleanup, fireEvent, render, screen } from '@testing-library/react'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import type { Result } from '../../../shared/contract'
import type { PublicSettings, SettingsInput } from '../../../shared/settings'
import { SettingsDialog } from '../../../renderer/src/components/SettingsForm'
import { fakeRendererApi } from './fake-api'
import { connectStore, useApp } from '../../../renderer/src/store'

const settings: PublicSettings = {
  mode: 'lab',
  activeProfileId: null,
  idScope: '',
  keyKind: 'group',
  keyMasked: '',
  deviceId: 'failover_js',
  modelId: 'dtmi:Sample:Failover;1',
  provisioningHost: 'global.azure-devices-provisioning.net',
  transport: 'mqtt',
  profiles: [],
  secretStorage: { encrypted: true, how: 'encrypted', notice: null },
}

/** An app that accepts any save, and remembers what it was sent. */
function fakeApp() {
  const saved: SettingsInput[] = []
  const api = fakeRendererApi({
    settingsSave: (input: SettingsInput) => {
      saved.push(input)
      return Promise.resolve<Result<PublicSettings>>({ ok: true, value: settings })
    },
  })
  return { api, saved }
}

let app: ReturnType<typeof fakeApp>

beforeEach(async () => {
  app = fakeApp()
  connectStore(app.api)
  await act(async () => new Promise((r) => setTimeout(r, 0)))
  useApp.setState({ settings, settingsOpen: true, settingsFor: 'current', pending: {}, info: null })
})
afterEach(cleanup)

const type = (testId: string, value: string) =>
  fireEvent.change(screen.getByTestId(testId), { target: { value } })

/** Chooses `text` as the .env file to import, and waits for the form to read it. */
async function importEnv(text: string) {
  const input = screen.getByTestId('settings-env-file') as HTMLInputElement
  Object.defineProperty(input, 'files', {
    configurable: true,
    value: [new File([text], 'device.env', { type: 'text/plain' })],
  })
  await act(async () => {
    fireEvent.change(input)
    await new Promise((r) => setTimeout(r, 10))
  })
}

/** A saved IoT Central profile, the one in use in the tests that have one. */
const plant1 = {
  id: 'p1',
  name: 'Plant 1',
  idScope: '0ne00ABCDEF',
  keyKind: 'group' as const,
  keyMasked: '••••••••abc=',
  groupKeyKept: false,
  keyUnreadable: false,
  deviceId: 'dev-1',
  modelId: 'dtmi:Sample:Failover;1',
  provisioningHost: 'global.azure-devices-provisioning.net',
  transport: 'mqtt' as const,
  caSubject: null,
}

const key = 'QUJDREVGR0hJSktMTU5PUFFSU1RVVldYWVphYmNkZWY='

describe('the settings form', () => {
  it('saves a long (valid) device id under a default profile name that fits', async () => {
    render(<SettingsDialog />)
    const deviceId = 'd'.repeat(60)
    type('settings-idScope', '0ne00ABCDEF')
    type('settings-key', key)
    type('settings-deviceId', deviceId)
    await act(async () => {
      fireEvent.submit(screen.getByTestId('settings-form'))
      await new Promise((r) => setTimeout(r, 0))
    })
    expect(screen.queryByTestId('settings-error-name')).toBeNull()
    expect(app.saved).toHaveLength(1)
    const name = app.saved[0]!.name!
    expect(name.length).toBeLessThanOrEqual(64)
    expect(name).toMatch(/^d+… @ 0ne00ABCDEF$/)
  })

  it('keeps the short default name whole', async () => {
    render(<SettingsDialog />)
    type('settings-idScope', '0ne00ABCDEF')
    type('settings-key', key)
    await act(async () => {
      fireEvent.submit(screen.getByTestId('settings-form'))
      await new Promise((r) => setTimeout(r, 0))
    })
    expect(app.saved[0]!.name).toBe('failover_js @ 0ne00ABCDEF')
  })

  it('counts the .env lines it recognised, and shows only the latest import’s outcome', async () => {
    render(<SettingsDialog />)
    await importEnv(
      [
        'SCOPE_ID=0ne00ABCDEF',
        `GROUP_SYMMETRIC_KEY=${key}`,
        'DEVICE_ID=dev1',
        'MODEL_ID=dtmi:Sample:Failover;1',
        'PROVISIONING_HOST=global.azure-devices-provisioning.net',
        'LOG_LEVEL=debug',
      ].join('\n'),
    )
    expect(screen.getByTestId('settings-note').textContent).toMatch(
      /^Imported 5 setting\(s\); ignored LOG_LEVEL\./,
    )
    expect(screen.queryByTestId('settings-error')).toBeNull()

    // A file with nothing to import: its error alone, not beside the previous success.
    await importEnv('# nothing here\nFOO=bar\n')
    expect(screen.getByTestId('settings-error').textContent).toMatch(/Could not import/)
    expect(screen.queryByTestId('settings-note')).toBeNull()

    // A good file again: its note alone.
    await importEnv('DEVICE_ID=dev2\n')
    expect(screen.getByTestId('settings-note').textContent).toMatch(/^Imported 1 setting\(s\)\./)
    expect(screen.queryByTestId('settings-error')).toBeNull()
  })

  it('"Add a profile…" opens on a new profile: saving it leaves the one in use as it was', async () => {
    const withProfile = {
      ...settings,
      mode: 'central' as const,
      activeProfileId: 'p1',
      profiles: [plant1],
    }
    useApp.setState({ settings: withProfile, settingsFor: 'new' })
    render(<SettingsDialog />)
    expect((screen.getByTestId('settings-deviceId') as HTMLInputElement).value).not.toBe('dev-1')
    type('settings-idScope', '0ne00ABCDEF')
    type('settings-key', key)
    type('settings-deviceId', 'dev-2')
    await act(async () => {
      fireEvent.submit(screen.getByTestId('settings-form'))
      await new Promise((r) => setTimeout(r, 0))
    })
    expect(app.saved).toHaveLength(1)
    expect(app.saved[0]!.profileId).toBeUndefined()
    expect(app.saved[0]!.deviceId).toBe('dev-2')
  })

  it('Settings opens on the profile in use', () => {
    useApp.setState({
      settings: { ...settings, mode: 'central', activeProfileId: 'p1', profiles: [plant1] },
      settingsFor: 'current',
    })
    render(<SettingsDialog />)
    expect((screen.getByTestId('settings-deviceId') as HTMLInputElement).value).toBe('dev-1')
  })
})
