import { describe, expect, it } from 'vitest'
import { labActionSchema, lizardCommand } from '../../shared/lab-actions'

const url = 'http://127.0.0.1:8090'
const cmd = (a: unknown) =>
  lizardCommand('npx lizard', labActionSchema.parse(a), 'failover_js', url)

describe('the lizard command beside each lab-panel button', () => {
  it('is the command line that does the same, naming the lab', () => {
    expect(cmd({ action: 'failover', ttl: 5 })).toBe(
      `npx lizard failover failover_js --ttl 5 --url ${url}`,
    )
    expect(cmd({ action: 'outage', hub: 'b', forSeconds: 60 })).toBe(
      `npx lizard outage b --for 60 --url ${url}`,
    )
    expect(cmd({ action: 'hub', hub: 'a', op: 'blackhole' })).toBe(
      `npx lizard hub a blackhole --url ${url}`,
    )
    expect(cmd({ action: 'dps', op: 'throttle' })).toBe(`npx lizard dps throttle --url ${url}`)
    expect(cmd({ action: 'invoke', method: 'echo', payload: { message: "it's" } })).toBe(
      `npx lizard invoke failover_js echo '{"message":"it'\\''s"}' --url ${url}`,
    )
    expect(cmd({ action: 'command', name: 'setAlarm', payload: { time: '07:30:00' } })).toBe(
      `npx lizard command failover_js setAlarm '{"time":"07:30:00"}' --url ${url}`,
    )
    expect(cmd({ action: 'desired', patch: { fanSpeed: 3 } })).toBe(
      `npx lizard desired failover_js '{"fanSpeed":3}' --url ${url}`,
    )
  })

  it('refuses actions the lab does not have, and payloads past its bound', () => {
    expect(labActionSchema.safeParse({ action: 'hub', hub: 'c', op: 'kill' }).success).toBe(false)
    expect(labActionSchema.safeParse({ action: 'nuke' }).success).toBe(false)
    expect(
      labActionSchema.safeParse({ action: 'invoke', method: 'echo', payload: 'x'.repeat(20_000) })
        .success,
    ).toBe(false)
    expect(
      labActionSchema.safeParse({ action: 'invoke', method: 'a b', payload: null }).success,
    ).toBe(false)
  })
})
