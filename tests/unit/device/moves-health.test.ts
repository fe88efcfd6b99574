import { describe, expect, it } from 'vitest'
import { zeroCounters } from '../../../shared/domain'
import { Health } from '../../../electron/device/health'
import { Moves } from '../../../electron/device/moves'

describe('Moves: a failover measured to the link and to the first acknowledgement', () => {
  const setup = () => {
    let now = 10_000
    const counters = zeroCounters()
    const moves = new Moves(counters, () => now)
    return { counters, moves, at: (t: number) => (now = t) }
  }

  it('counts a move the moment it is connected, and completes its figure on the first ack there', () => {
    const { counters, moves, at } = setup()
    expect(moves.connected('B', 'A', 'A', 9_000, false)).toEqual({ move: 'failover', ms: 1000 })
    expect(counters).toMatchObject({
      failovers: 1,
      lastFailoverMs: 1000,
      lastFailover: { from: 'A', to: 'B', connectedMs: 1000, firstAckMs: null },
    })
    expect(moves.acked('A', 'telemetry')).toBeNull() // an ack from elsewhere does not count
    at(12_500)
    expect(moves.acked('B', 'reported')).toMatchObject({
      code: 'move-acked',
      ms: 3500,
      what: 'reported',
    })
    expect(counters.lastFailover).toMatchObject({ connectedMs: 1000, firstAckMs: 3500 })
    expect(moves.acked('B', 'telemetry')).toBeNull() // only the first
  })

  it('keeps failover and failback figures apart', () => {
    const { counters, moves, at } = setup()
    moves.connected('B', 'A', 'A', 9_000, false)
    at(20_000)
    expect(moves.connected('A', 'B', 'A', 19_500, false)).toEqual({ move: 'failback', ms: 500 })
    expect(counters).toMatchObject({
      failovers: 1,
      failbacks: 1,
      lastFailover: { connectedMs: 1000 },
      lastFailback: { connectedMs: 500 },
    })
  })

  it('is no move on the same hub, nor when DPS re-homed the device there', () => {
    const { counters, moves } = setup()
    expect(moves.connected('A', 'A', 'A', 9_000, false).move).toBeNull()
    expect(moves.connected('B', 'A', 'B', 9_000, true).move).toBeNull()
    expect(counters).toMatchObject({ failovers: 0, failbacks: 0 })
  })

  it('a move after a deliberate stop is counted, without a figure it could not measure', () => {
    const { counters, moves } = setup()
    expect(moves.connected('B', 'A', 'A', null, false)).toEqual({ move: 'failover', ms: null })
    expect(counters).toMatchObject({ failovers: 1, lastFailover: null })
  })
})

describe('Health: hubs and DPS as the device experiences them', () => {
  it('starts from what it knows of (unknown), and learns from each attempt and each loss', () => {
    let now = 1
    const h = new Health(['A', 'B'], () => now)
    expect(h.snapshot()).toEqual({
      hubHealth: { A: { status: 'unknown', at: null }, B: { status: 'unknown', at: null } },
      dpsHealth: { status: 'unknown', at: null },
    })
    h.hubUp('A')
    now = 2
    h.hubFailed('B', { kind: 'refused', connack: 5 })
    expect(h.snapshot().hubHealth).toEqual({
      A: { status: 'up', at: 1 },
      B: { status: 'refusing', at: 2, detail: 'CONNACK 5, not authorized' },
    })
    h.hubLost('A', { kind: 'silent', ms: 15_000 })
    expect(h.snapshot().hubHealth.A).toMatchObject({ status: 'silent' })
    h.hubFailed('A', { kind: 'unreachable', error: { code: 'ECONNREFUSED', message: 'x' } })
    expect(h.snapshot().hubHealth.A).toMatchObject({
      status: 'unreachable',
      detail: expect.stringMatching(/ECONNREFUSED/),
    })
    h.hubLost('B', { kind: 'closed' })
    expect(h.snapshot().hubHealth.B).toMatchObject({ status: 'up' }) // it answered, with a close
    h.hubLost('B', { kind: 'local' })
    expect(h.snapshot().hubHealth.B).toMatchObject({ status: 'up' }) // says nothing about the hub
    h.hubFailed('C', { kind: 'timeout', ms: 10_000 })
    expect(h.snapshot().hubHealth.C).toMatchObject({ status: 'silent' }) // met on the way

    h.dpsFailed({ kind: 'throttled', retryAfterMs: 3000 })
    expect(h.snapshot().dpsHealth).toMatchObject({ status: 'throttled' })
    h.dpsFailed({ kind: 'unauthorized' })
    expect(h.snapshot().dpsHealth).toMatchObject({ status: 'refusing' })
    h.dpsFailed({ kind: 'timeout', ms: 30_000 })
    expect(h.snapshot().dpsHealth).toMatchObject({ status: 'unreachable' })
    h.dpsUp()
    expect(h.snapshot().dpsHealth).toEqual({ status: 'up', at: 2 })
  })
})
