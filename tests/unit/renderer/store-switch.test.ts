import { describe, expect, it } from 'vitest'
import type { RendererApi, Result } from '../../../shared/contract'
import { defaultBehaviours, type Behaviours } from '../../../shared/domain'
import { actions, connectStore, useApp } from '../../../renderer/src/store'

// A switch pressed twice quickly (a double click, Space twice) ends where the user left it: the
// second press is not swallowed while the first call is on its way, and the engine ends up with
// the latest intent. This once failed the browser test at random (2 runs in 6).

function slowApi() {
  let engine: Behaviours = { ...defaultBehaviours }
  const calls: boolean[] = []
  const pending: (() => void)[] = []
  const ok = <T>(value: T): Promise<Result<T>> => Promise.resolve({ ok: true, value })
  const api = new Proxy({} as RendererApi, {
    get(_t, name: string) {
      if (name.startsWith('on')) return () => () => undefined
      if (name === 'sessionSetBehaviour')
        return ({ name: n, enabled }: { name: keyof Behaviours; enabled: boolean }) => {
          calls.push(enabled)
          return new Promise<Result<Behaviours>>((resolve) =>
            pending.push(() => {
              engine = { ...engine, [n]: enabled }
              resolve({ ok: true, value: { ...engine } })
            }),
          )
        }
      if (name === 'sessionSnapshot') return () => ok({ behaviours: { ...engine }, hubLabels: {} })
      return () => ok(name.endsWith('List') || name.endsWith('Recent') ? [] : {})
    },
  })
  return { api, calls, pending, engine: () => engine }
}

const flush = () => new Promise((r) => setTimeout(r, 0))

describe('behaviour switches', () => {
  it('carry out the latest press even while an earlier one is on its way', async () => {
    const fx = slowApi()
    connectStore(fx.api)
    await flush()
    useApp.setState({ snapshot: { behaviours: { ...defaultBehaviours } } as never })

    const first = actions.setBehaviour('c2dCommands', false)
    const second = actions.setBehaviour('c2dCommands', true)
    expect(useApp.getState().snapshot!.behaviours.c2dCommands).toBe(true)
    // One call at a time; the first answers, then the latest intent goes out.
    expect(fx.calls).toEqual([false])
    fx.pending.shift()!()
    await flush()
    await flush()
    expect(fx.calls).toEqual([false, true])
    fx.pending.shift()!()
    await Promise.all([first, second])
    expect(fx.engine().c2dCommands).toBe(true)
    expect(useApp.getState().snapshot!.behaviours.c2dCommands).toBe(true)
  })

  it('a press that returns to the confirmed value still reaches the engine', async () => {
    const fx = slowApi()
    connectStore(fx.api)
    await flush()
    useApp.setState({ snapshot: { behaviours: { ...defaultBehaviours } } as never })
    const a = actions.setBehaviour('telemetry', false)
    const b = actions.setBehaviour('telemetry', true)
    const c = actions.setBehaviour('telemetry', false)
    fx.pending.shift()!()
    await flush()
    await flush()
    fx.pending.shift()?.()
    await Promise.all([a, b, c])
    expect(fx.engine().telemetry).toBe(false)
    expect(useApp.getState().snapshot!.behaviours.telemetry).toBe(false)
  })
})
