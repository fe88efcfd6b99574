import type { RendererApi, Result } from '../../../shared/contract'

type Answer = (...args: never[]) => Promise<Result<unknown>>

/**
 * The renderer's API with only the calls a test names answered; every subscription is a no-op
 * and every other call answers "unavailable", as an app that cannot do it would.
 */
export function fakeRendererApi(answers: Partial<Record<keyof RendererApi, Answer>>): RendererApi {
  return new Proxy({} as RendererApi, {
    get(_t, name: string) {
      const answer = answers[name as keyof RendererApi]
      if (answer) return answer
      if (name.startsWith('on')) return () => () => undefined
      return () => Promise.resolve({ ok: false, error: { code: 'unavailable', message: 'test' } })
    },
  })
}
