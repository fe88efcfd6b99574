// @vitest-environment happy-dom
import { act, cleanup, fireEvent, render, screen } from '@testing-library/react'
import { afterEach, describe, expect, it } from 'vitest'
import type { RendererApi, Result } from '../../../shared/contract'
import { defaultBehaviours, defaultPeriods, type Behaviours } from '../../../shared/domain'
import { Behaviours as BehavioursCard } from '../../../renderer/src/components/Behaviours'
import { connectStore, useApp } from '../../../renderer/src/store'

afterEach(cleanup)

/** An app whose answers to switch changes wait until the test lets them go. */
function slowApp() {
  let engine: Behaviours = { ...defaultBehaviours }
  const held: (() => void)[] = []
  const api = new Proxy({} as RendererApi, {
    get(_t, name: string) {
      if (name.startsWith('on')) return () => () => undefined
      if (name === 'sessionSetBehaviour')
        return ({ name: n, enabled }: { name: keyof Behaviours; enabled: boolean }) =>
          new Promise<Result<Behaviours>>((resolve) =>
            held.push(() => {
              engine = { ...engine, [n]: enabled }
              resolve({ ok: true, value: { ...engine } })
            }),
          )
      return () => Promise.resolve({ ok: false, error: { code: 'unavailable', message: 'test' } })
    },
  })
  return { api, held, engine: () => engine }
}

describe('the behaviour switches', () => {
  it('take a second press while the first is on its way (no press is swallowed)', async () => {
    const app = slowApp()
    connectStore(app.api)
    useApp.setState({
      snapshot: { behaviours: { ...defaultBehaviours }, periods: { ...defaultPeriods } } as never,
      notices: [],
    })
    render(<BehavioursCard />)
    const c2d = screen.getByRole('switch', { name: /C2D commands/ }) as HTMLInputElement
    fireEvent.click(c2d)
    expect(c2d.checked).toBe(false)
    // The call is pending: the control stays usable, it only says it is busy.
    expect(c2d.disabled).toBe(false)
    expect(c2d.getAttribute('aria-busy')).toBe('true')
    fireEvent.click(c2d)
    expect(c2d.checked).toBe(true)
    while (app.held.length) await act(async () => app.held.shift()!())
    await act(async () => new Promise((r) => setTimeout(r, 0)))
    while (app.held.length) await act(async () => app.held.shift()!())
    expect(app.engine().c2dCommands).toBe(true)
    expect(c2d.checked).toBe(true)
  })
})
