import { describe, expect, it } from 'vitest'
import type { InboundEntry } from '../../../shared/domain'
import { responseText, responseTone } from '../../../renderer/src/components/Inbound'
import { inboundLabel } from '../../../renderer/src/model-view'
import { controllerModel } from './models'

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

describe('an inbound row names what it is about in the model’s words', () => {
  it('splits a component’s command into component and command, by their display names', () => {
    const label = (kind: InboundEntry['kind'], name: string) =>
      inboundLabel({ kind, name }, controllerModel)
    expect(label('method', 'thermostat1*getMaxMinReport')).toBe(
      'Thermostat One · Get Max-Min report',
    )
    expect(label('c2d', 'thermostat2*setMode')).toBe('Thermostat Two · Set mode')
    expect(label('method', 'reboot')).toBe('Reboot')
    // Not in the model: the component still reads as one, an unknown name stays as it came.
    expect(label('method', 'thermostat1*selfTest')).toBe('Thermostat One · selfTest')
    expect(label('method', 'nosuch*thing')).toBe('nosuch*thing')
    expect(label('desired', 'thermostat1.targetTemperature')).toBe(
      'Thermostat One · Target Temperature',
    )
    expect(label('desired', 'mode')).toBe('Mode')
  })
})
