// @vitest-environment happy-dom
import { act, cleanup, fireEvent, render, screen } from '@testing-library/react'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import type { AppInfo, LabInfo, Result } from '../../../shared/contract'
import type { LabAction } from '../../../shared/lab-actions'
import { LabPanel } from '../../../renderer/src/components/LabPanel'
import { fakeRendererApi } from './fake-api'
import { connectStore, useApp } from '../../../renderer/src/store'

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
