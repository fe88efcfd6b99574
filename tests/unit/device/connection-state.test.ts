import { describe, expect, it } from 'vitest'
import type { TimelineEntry } from '../../../shared/domain'
import { ConnectionStateTracker } from '../../../electron/device/connection-state'

describe('ConnectionStateTracker', () => {
  it('records every transition with time, reason, and the hub it concerns', () => {
    const entries: TimelineEntry[] = []
    let now = 1000
    const t = new ConnectionStateTracker(
      (e) => entries.push(e),
      () => now++,
    )
    t.set({ kind: 'provisioning', attempt: 1 }, 'registering')
    t.set({ kind: 'connected', hub: 'h:1', since: 5 }, 'connected', { mark: 'failover' })
    t.note('failover complete', { mark: 'failover', durationMs: 42 })
    expect(t.state).toEqual({ kind: 'connected', hub: 'h:1', since: 5 })
    expect(entries).toEqual([
      { id: 1, at: 1000, state: 'provisioning', reason: 'registering' },
      { id: 2, at: 1001, state: 'connected', reason: 'connected', mark: 'failover', hub: 'h:1' },
      {
        id: 3,
        at: 1002,
        state: 'connected',
        reason: 'failover complete',
        mark: 'failover',
        durationMs: 42,
        hub: 'h:1',
      },
    ])
  })
})
