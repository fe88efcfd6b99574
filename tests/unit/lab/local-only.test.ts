import { describe, expect, it } from 'vitest'
import { localOnlyRefusal } from '../../../lab/local-only'

const check = (headers: Record<string, string>) =>
  localOnlyRefusal({ headers }, 8090)?.status ?? 200

describe('local-only requests', () => {
  it('takes its own host and port, with no Origin or its own', () => {
    expect(check({ host: '127.0.0.1:8090' })).toBe(200)
    expect(check({ host: 'LOCALHOST:8090', origin: 'http://localhost:8090' })).toBe(200)
  })

  it('refuses other hosts (421), foreign or null origins (403), and bodies that are not JSON (415)', () => {
    expect(check({ host: 'evil.example:8090' })).toBe(421)
    expect(check({})).toBe(421)
    expect(check({ host: '127.0.0.1:8090', origin: 'null' })).toBe(403)
    expect(check({ host: '127.0.0.1:8090', origin: 'http://127.0.0.1:8090.evil.example' })).toBe(
      403,
    )
    expect(
      check({ host: '127.0.0.1:8090', 'content-length': '2', 'content-type': 'text/plain' }),
    ).toBe(415)
    expect(check({ host: '127.0.0.1:8090', 'transfer-encoding': 'chunked' })).toBe(415)
    expect(
      check({
        host: '127.0.0.1:8090',
        'content-length': '2',
        'content-type': 'application/json; charset=utf-8',
      }),
    ).toBe(200)
  })
})
