import { describe, expect, it } from 'vitest'
import type { InboundEntry } from '../../../shared/domain'
import { responseText, responseTone } from '../../../renderer/src/components/Inbound'

const entry = (e: Partial<InboundEntry>): InboundEntry => ({
  id: 1,
  at: 0,
  kind: 'method',
  name: 'echo',
  payload: 'x',
  response: { status: 200, body: 'x' },
  ...e,
})

describe('an inbound row says what we answered', () => {
  it('a method or desired edit ignored while switched off is "ignored", not a failed status 0', () => {
    for (const kind of ['method', 'desired'] as const) {
      const e = entry({ kind, response: { status: 0, outcome: 'ignored' } })
      expect(responseText(e)).toBe('ignored (switched off)')
      expect(responseTone(e)).toBe('neutral')
    }
  })

  it('answers keep their status and tone', () => {
    expect(responseText(entry({}))).toBe('200 "x"')
    expect(responseTone(entry({}))).toBe('ok')
    expect(responseTone(entry({ response: { status: 404, body: 'nope' } }))).toBe('bad')
    const held = entry({ kind: 'c2d', response: { status: 0, outcome: 'held' } })
    expect([responseText(held), responseTone(held)]).toEqual(['held', 'neutral'])
    const rejected = entry({ kind: 'c2d', response: { status: 0, outcome: 'rejected' } })
    expect(responseTone(rejected)).toBe('bad')
  })
})
