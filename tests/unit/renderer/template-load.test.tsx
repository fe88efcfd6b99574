// @vitest-environment happy-dom
import { act, cleanup, fireEvent, render, screen, within } from '@testing-library/react'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import type { AppInfo, Result } from '../../../shared/contract'
import type { ModelDocument, ModelReport } from '../../../shared/dtdl/types'
import type { PublicSettings } from '../../../shared/settings'
import { DropLoader } from '../../../renderer/src/components/DropLoader'
import { SettingsDialog } from '../../../renderer/src/components/SettingsForm'
import { connectStore, useApp } from '../../../renderer/src/store'
import { readTemplateFiles } from '../../../renderer/src/template-files'
import { fakeRendererApi } from './fake-api'
import { appInfo, controllerModel, failoverModel } from './models'

afterEach(cleanup)

const refused: ModelReport = {
  loaded: false,
  source: 'broken.json',
  modelId: null,
  displayName: null,
  counts: null,
  problems: [
    {
      file: 'broken.json',
      path: '[0].contents[3].schema',
      message: "'doubel' is not a DTDL schema",
    },
    {
      file: 'broken.json',
      path: '[0].contents[5]',
      message: 'dtmi:com:example:Thermostat;1 is not defined in any file',
    },
  ],
  warnings: [],
  leftToCloud: [],
  notEmulated: [],
}

/** An app that loads whatever it is given as the controller, except a file named broken.json. */
function templateApp() {
  const loads: ModelDocument[][] = []
  let info: AppInfo = appInfo(failoverModel)
  const api = fakeRendererApi({
    modelLoad: (r: { files: ModelDocument[] }) => {
      loads.push(r.files)
      if (r.files[0]!.name === 'broken.json')
        return Promise.resolve<Result<ModelReport>>({ ok: true, value: refused })
      info = appInfo(controllerModel)
      return Promise.resolve<Result<ModelReport>>({ ok: true, value: info.modelReport })
    },
    modelReset: () => {
      info = appInfo(failoverModel)
      return Promise.resolve<Result<ModelReport>>({ ok: true, value: info.modelReport })
    },
    appInfo: () => Promise.resolve<Result<AppInfo>>({ ok: true, value: info }),
  })
  return { api, loads }
}

const settings = {
  mode: 'lab',
  activeProfileId: null,
  profiles: [],
  deviceId: 'failover_js',
  secretStorage: { encrypted: true, how: 'encrypted', notice: null },
} as unknown as PublicSettings

const json = (name: string, text = '{"@id":"dtmi:x;1"}') =>
  new File([text], name, { type: 'application/json' })

async function choose(testId: string, files: File[]) {
  const input = screen.getByTestId(testId) as HTMLInputElement
  Object.defineProperty(input, 'files', { configurable: true, value: files })
  await act(async () => {
    fireEvent.change(input)
    await new Promise((r) => setTimeout(r, 20))
  })
}

let app: ReturnType<typeof templateApp>
beforeEach(async () => {
  app = templateApp()
  connectStore(app.api)
  await act(async () => new Promise((r) => setTimeout(r, 0)))
  useApp.setState({ settings, settingsOpen: true, settingsFor: 'current', templateLoad: null })
})

describe('the settings’ device template section', () => {
  it('shows the template in use, built in', () => {
    render(<SettingsDialog />)
    const section = screen.getByTestId('template-section')
    expect(within(section).getByTestId('template-name').textContent).toBe('Failover')
    expect(within(section).getByTestId('template-dtmi').textContent).toBe('dtmi:Sample:Failover;1')
    expect(within(section).getByTestId('template-source').textContent).toMatch(/^built in/)
    expect(within(section).getByTestId('template-counts').textContent).toBe(
      '2 telemetry · 2 properties (1 writable) · 2 commands · 0 components',
    )
    expect((screen.getByTestId('template-reset') as HTMLButtonElement).disabled).toBe(true)
  })

  it('lists every problem with its place when a template is refused, and keeps the model', async () => {
    render(<SettingsDialog />)
    await choose('template-file', [json('broken.json')])
    const alert = screen.getByTestId('template-problems')
    expect(alert.getAttribute('role')).toBe('alert')
    expect(screen.getAllByTestId('template-problem').map((p) => p.textContent)).toEqual([
      "broken.json [0].contents[3].schema: 'doubel' is not a DTDL schema",
      'broken.json [0].contents[5]: dtmi:com:example:Thermostat;1 is not defined in any file',
    ])
    expect(alert.textContent).toMatch(/the device keeps its template/)
    expect(useApp.getState().info?.model.id).toBe('dtmi:Sample:Failover;1')
    expect(screen.getByTestId('template-name').textContent).toBe('Failover')
  })

  it('sends the template first and the models folder’s .json files after it', async () => {
    render(<SettingsDialog />)
    const inFolder = (name: string, path: string) => {
      const f = json(name, `{"@id":"dtmi:${name};1"}`)
      Object.defineProperty(f, 'webkitRelativePath', { value: path })
      return f
    }
    await choose('template-folder', [
      inFolder('thermostat.json', 'models/thermostat.json'),
      inFolder('README.md', 'models/README.md'),
      inFolder('info.json', 'models/deviceinfo/info.json'),
    ])
    // Nothing is loaded until there is a template.
    expect(app.loads).toHaveLength(0)
    expect(screen.getByTestId('template-folder-note').textContent).toMatch(/2 \.json file/)
    await choose('template-file', [json('controller.json')])
    expect(app.loads[0]!.map((f) => f.name)).toEqual([
      'controller.json',
      'models/deviceinfo/info.json',
      'models/thermostat.json',
    ])
    expect(screen.getByTestId('template-loaded').textContent).toMatch(
      /^Loaded: Temperature Controller/,
    )
    expect(screen.getByTestId('template-name').textContent).toBe('Temperature Controller')

    await act(async () => {
      fireEvent.click(screen.getByTestId('template-reset'))
      await new Promise((r) => setTimeout(r, 0))
    })
    expect(screen.getByTestId('template-name').textContent).toBe('Failover')
  })
})

describe('dropping template files on the window', () => {
  const drop = async (files: File[]) => {
    const dataTransfer = { types: ['Files'], files, dropEffect: 'none' }
    const event = (type: string) =>
      Object.assign(new Event(type, { bubbles: true, cancelable: true }), { dataTransfer })
    await act(async () => window.dispatchEvent(event('dragenter')))
    expect(screen.getByTestId('drop-overlay')).toBeTruthy()
    const dropped = event('drop')
    await act(async () => {
      window.dispatchEvent(dropped)
      await new Promise((r) => setTimeout(r, 20))
    })
    // Handled here: the browser (or Electron) never opens the dropped file instead of the app.
    expect(dropped.defaultPrevented).toBe(true)
    expect(screen.queryByTestId('drop-overlay')).toBeNull()
  }

  it('loads them as a template, says how it went in a banner, and names what it left out', async () => {
    useApp.setState({ settingsOpen: false })
    render(<DropLoader />)
    await drop([json('controller.json'), new File(['x'], 'notes.txt')])
    expect(app.loads[0]!.map((f) => f.name)).toEqual(['controller.json'])
    const banner = screen.getByTestId('template-banner')
    expect(within(banner).getByTestId('template-loaded').textContent).toMatch(
      /Temperature Controller/,
    )
    expect(within(banner).getByTestId('template-skipped').textContent).toMatch(
      /notes\.txt: not a \.json file/,
    )
    fireEvent.click(screen.getByTestId('template-banner-dismiss'))
    expect(screen.queryByTestId('template-banner')).toBeNull()
  })

  it('shows a refusal’s problems in the banner', async () => {
    render(<DropLoader />)
    await drop([json('broken.json')])
    expect(
      within(screen.getByTestId('template-banner')).getAllByTestId('template-problem'),
    ).toHaveLength(2)
  })
})

describe('reading template files', () => {
  it('reads at most 200 files of at most 1 MiB each, and says which it left out', async () => {
    const big = new File(['x'.repeat(1024 * 1024 + 1)], 'huge.json')
    const folder = [
      big,
      ...Array.from({ length: 250 }, (_, i) =>
        json(`m${String(i).padStart(3, '0')}.json`, `{"n":${i}}`),
      ),
    ]
    const r = await readTemplateFiles([json('t.json')], folder)
    expect(r.files).toHaveLength(200)
    expect(r.files[0]!.name).toBe('t.json')
    expect(r.skipped[0]).toMatch(/^huge\.json: 1\.0 MiB, larger than 1\.0 MiB/)
    expect(r.skipped[1]).toMatch(/^51 more file\(s\): at most 200/)
  })

  it('sends nothing when the template itself is too large', async () => {
    const r = await readTemplateFiles(
      [new File(['x'.repeat(1024 * 1024 + 1)], 'huge.json')],
      [json('a.json')],
    )
    expect(r.files).toEqual([])
    expect(r.skipped).toHaveLength(1)
  })
})
