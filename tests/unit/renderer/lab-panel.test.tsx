// @vitest-environment happy-dom
import { act, cleanup, fireEvent, render, screen, within } from '@testing-library/react'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import type { AppInfo, LabInfo, Result } from '../../../shared/contract'
import type { LabAction } from '../../../shared/lab-actions'
import { LabPanel } from '../../../renderer/src/components/LabPanel'
import { fakeRendererApi } from './fake-api'
import { connectStore, useApp } from '../../../renderer/src/store'
import { appInfo, controllerModel } from './models'

const first = 'http://127.0.0.1:8090'
const second = 'http://127.0.0.1:9191'

function lab(controlUrl: string): LabInfo {
  return {
    status: 'running',
    stoppedReason: null,
    controlUrl,
    tryFailover: '',
    tryFailback: '',
    lizard: 'npx lizard',
  }
}

const info = (controlUrl: string) =>
  ({ version: '0', mode: 'lab', shell: 'web', lab: lab(controlUrl) }) as AppInfo

/** An app whose lab answers every action, and remembers what it was asked. */
function fakeApp() {
  const acted: LabAction[] = []
  const api = fakeRendererApi({
    labAct: (a: LabAction) => {
      acted.push(a)
      return Promise.resolve<Result<string>>({ ok: true, value: 'done' })
    },
  })
  return { api, acted }
}

let copied: string[] = []

beforeEach(async () => {
  copied = []
  Object.defineProperty(navigator, 'clipboard', {
    configurable: true,
    value: {
      writeText: (t: string) => {
        copied.push(t)
        return Promise.resolve()
      },
    },
  })
  connectStore(fakeApp().api)
  // connectStore loads the (failing) app info: let that settle before the test sets its own.
  await act(async () => new Promise((r) => setTimeout(r, 0)))
})
afterEach(cleanup)

const shownCommand = () => screen.getByTestId('lab-command').querySelector('code')!.textContent!

async function copy() {
  await act(async () => {
    fireEvent.click(screen.getByRole('button', { name: 'Copy' }))
    await new Promise((r) => setTimeout(r, 0))
  })
  return copied.at(-1)
}

describe('the lab panel', () => {
  it('shows and copies the command for the lab as it is now, after it restarts on other ports', async () => {
    useApp.setState({ info: info(first), snapshot: null, pending: {} })
    render(<LabPanel />)
    fireEvent.mouseEnter(screen.getByTestId('lab-failover'))
    expect(shownCommand()).toBe(`npx lizard failover failover_js --ttl 5 --url ${first}`)
    await act(async () => useApp.setState({ info: info(second) }))
    expect(shownCommand()).toBe(`npx lizard failover failover_js --ttl 5 --url ${second}`)
    expect(await copy()).toBe(`npx lizard failover failover_js --ttl 5 --url ${second}`)
  })

  it('copies exactly the command it shows before any button was pointed at', async () => {
    useApp.setState({ info: info(first), snapshot: null, pending: {} })
    render(<LabPanel />)
    const shown = shownCommand()
    expect(shown).toBe(`npx lizard outage a --for 60 --url ${first}`)
    expect(await copy()).toBe(shown)
  })

  it('lets the outage length be typed freely, and checks it only when it is used', async () => {
    const app = fakeApp()
    connectStore(app.api)
    await act(async () => new Promise((r) => setTimeout(r, 0)))
    useApp.setState({ info: info(first), snapshot: null, pending: {} })
    render(<LabPanel />)
    const field = screen.getByLabelText('Outage length in seconds') as HTMLInputElement
    // Select all, type 3 then 0: every keystroke is kept as typed.
    fireEvent.change(field, { target: { value: '3' } })
    expect(field.value).toBe('3')
    fireEvent.change(field, { target: { value: '30' } })
    expect(field.value).toBe('30')
    expect(screen.getByTestId('lab-outage-a').dataset.command).toContain('--for 30 ')
    expect(screen.queryByTestId('lab-outage-hint')).toBeNull()
    await act(async () => {
      fireEvent.click(screen.getByTestId('lab-outage-a'))
      await new Promise((r) => setTimeout(r, 0))
    })
    expect(app.acted.at(-1)).toEqual({ action: 'outage', hub: 'a', forSeconds: 30 })

    // Out of range: said so while typing, brought into range when it leaves the field...
    fireEvent.change(field, { target: { value: '2' } })
    expect(field.value).toBe('2')
    expect(field.getAttribute('aria-invalid')).toBe('true')
    expect(screen.getByTestId('lab-outage-hint').textContent).toMatch(/5.*3600/)
    fireEvent.blur(field)
    expect(field.value).toBe('5')
    expect(screen.getByTestId('lab-outage-hint').textContent).toMatch(/5.*3600/)

    // ...or when a button uses it.
    fireEvent.change(field, { target: { value: '99999' } })
    await act(async () => {
      fireEvent.click(screen.getByTestId('lab-outage-b'))
      await new Promise((r) => setTimeout(r, 0))
    })
    expect(app.acted.at(-1)).toEqual({ action: 'outage', hub: 'b', forSeconds: 3600 })
    expect(field.value).toBe('3600')
  })
})

/** A lab that records what it was asked, and an engine that keeps the fixed command responses. */
function modelApp() {
  const acted: LabAction[] = []
  const responses: Record<string, unknown> = {}
  const setResponse: { command: string; response: unknown }[] = []
  const api = fakeRendererApi({
    labAct: (a: LabAction) => {
      acted.push(a)
      return Promise.resolve<Result<string>>({ ok: true, value: 'done' })
    },
    sessionSetCommandResponse: (r: { command: string; response: unknown }) => {
      setResponse.push(r)
      if (r.response === null) delete responses[r.command]
      else responses[r.command] = r.response
      return Promise.resolve({ ok: true, value: { ...responses } })
    },
    sessionSnapshot: () =>
      Promise.resolve({
        ok: true,
        value: { deviceId: 'failover_js', hubLabels: {}, commandResponses: { ...responses } },
      }),
  })
  return { api, acted, setResponse }
}

describe('the lab panel’s forms from the model', () => {
  let app: ReturnType<typeof modelApp>
  beforeEach(async () => {
    app = modelApp()
    connectStore(app.api)
    await act(async () => new Promise((r) => setTimeout(r, 0)))
    useApp.setState({ info: appInfo(controllerModel), pending: {} })
  })

  const form = (testId: string) => screen.getByTestId(testId)
  const input = (formId: string, path: string) =>
    within(form(formId)).getByTestId(`lab-input-${path}`) as HTMLInputElement
  const press = async (testId: string) =>
    act(async () => {
      fireEvent.click(screen.getByTestId(testId))
      await new Promise((r) => setTimeout(r, 0))
    })

  it('groups the entries by component and builds each form from its schema', () => {
    render(<LabPanel />)
    expect(screen.getAllByTestId('lab-group').map((g) => g.dataset.component)).toEqual([
      '',
      'thermostat1',
      'thermostat2',
    ])
    // An enum is a select of its display names.
    const mode = input('lab-form-thermostat2*setMode', 'mode')
    expect(mode.tagName).toBe('SELECT')
    expect([...mode.querySelectorAll('option')].map((o) => o.textContent)).toEqual(['Eco', 'Boost'])
    // An object is a fieldset of its fields, each with its own control; a map is JSON.
    const config = within(form('lab-form-configure')).getByRole('group', { name: 'Config' })
    expect(within(config).getByLabelText('Level').getAttribute('type')).toBe('number')
    expect(within(config).getByLabelText('Label').getAttribute('type')).toBe('text')
    expect(within(config).getByLabelText('Tags').tagName).toBe('TEXTAREA')
    expect(input('lab-form-thermostat1*getMaxMinReport', 'since').type).toBe('datetime-local')
    expect(form('lab-form-reboot').textContent).toMatch(/No request payload/)
  })

  it('invokes a component’s command by its wire name, with the request bare as IoT Central sends it', async () => {
    render(<LabPanel />)
    fireEvent.change(input('lab-form-thermostat1*getMaxMinReport', 'since'), {
      target: { value: '2026-01-02T03:04:05' },
    })
    await press('lab-invoke-thermostat1*getMaxMinReport')
    expect(app.acted.at(-1)).toEqual({
      action: 'invoke',
      method: 'thermostat1*getMaxMinReport',
      payload: new Date('2026-01-02T03:04:05').toISOString(),
    })
    expect(screen.getByTestId('lab-invoke-thermostat1*getMaxMinReport').dataset.command).toMatch(
      /^npx lizard invoke failover_js 'thermostat1\*getMaxMinReport' /,
    )

    // A durable command goes as a C2D command.
    fireEvent.change(input('lab-form-thermostat2*setMode', 'mode'), { target: { value: '1' } })
    await press('lab-invoke-thermostat2*setMode')
    expect(app.acted.at(-1)).toEqual({
      action: 'command',
      name: 'thermostat2*setMode',
      payload: 'boost',
    })

    fireEvent.change(input('lab-form-configure', 'config.level'), { target: { value: '3' } })
    fireEvent.change(input('lab-form-configure', 'config.label'), { target: { value: 'hall' } })
    fireEvent.change(input('lab-form-configure', 'config.tags'), {
      target: { value: '{"floor":"2"}' },
    })
    await press('lab-invoke-configure')
    expect(app.acted.at(-1)).toEqual({
      action: 'invoke',
      method: 'configure',
      payload: { level: 3, label: 'hall', tags: { floor: '2' } },
    })
  })

  it('checks the payload against the schema first, and says why beside the form', async () => {
    render(<LabPanel />)
    const sent = app.acted.length
    const level = input('lab-form-configure', 'config.level')
    fireEvent.change(level, { target: { value: '2.5' } })
    await press('lab-invoke-configure')
    expect(app.acted).toHaveLength(sent)
    const problem = within(form('lab-form-configure')).getByRole('alert')
    expect(problem.textContent).toMatch(/^config\.level: expected an integer/)
    expect(level.getAttribute('aria-invalid')).toBe('true')
    expect(level.getAttribute('aria-describedby')).toBe(problem.id)

    fireEvent.change(level, { target: { value: '2' } })
    fireEvent.change(input('lab-form-configure', 'config.tags'), { target: { value: '{"a": 1}' } })
    await press('lab-invoke-configure')
    expect(app.acted).toHaveLength(sent)
    expect(within(form('lab-form-configure')).getByRole('alert').textContent).toMatch(
      /^config\.tags\.a: expected a string/,
    )
    expect(input('lab-form-configure', 'config.tags').getAttribute('aria-invalid')).toBe('true')
  })

  it('sends a writable property as a desired patch: a component’s inside it, marked with __t', async () => {
    render(<LabPanel />)
    fireEvent.change(input('lab-desired-form-thermostat1/targetTemperature', 'targetTemperature'), {
      target: { value: '21.5' },
    })
    await press('lab-desired-send-thermostat1/targetTemperature')
    expect(app.acted.at(-1)).toEqual({
      action: 'desired',
      patch: { thermostat1: { __t: 'c', targetTemperature: 21.5 } },
    })
    fireEvent.change(input('lab-desired-form-mode', 'mode'), { target: { value: '1' } })
    await press('lab-desired-send-mode')
    expect(app.acted.at(-1)).toEqual({ action: 'desired', patch: { mode: 'boost' } })
  })

  it('sets a fixed response for a synchronous command, checked against its schema, and clears it', async () => {
    render(<LabPanel />)
    const wire = 'thermostat1*getMaxMinReport'
    // A durable command has no answer to set.
    expect(screen.queryByTestId('lab-response-thermostat2*setMode')).toBeNull()
    const field = screen.getByTestId(`lab-response-${wire}`)
    fireEvent.change(field, { target: { value: '{"maxTemp":"hot"}' } })
    await press(`lab-response-set-${wire}`)
    expect(app.setResponse).toHaveLength(0)
    expect(field.getAttribute('aria-invalid')).toBe('true')

    fireEvent.change(field, { target: { value: '{"maxTemp":30,"minTemp":12}' } })
    await press(`lab-response-set-${wire}`)
    expect(app.setResponse.at(-1)).toEqual({
      command: wire,
      response: { maxTemp: 30, minTemp: 12 },
    })
    expect(screen.getByTestId(`lab-response-state-${wire}`).textContent).toBe(
      'answers {"maxTemp":30,"minTemp":12}',
    )
    await press(`lab-response-clear-${wire}`)
    expect(app.setResponse.at(-1)).toEqual({ command: wire, response: null })
    expect(screen.getByTestId(`lab-response-state-${wire}`).textContent).toBe(
      'answers a generated value',
    )
  })
})
