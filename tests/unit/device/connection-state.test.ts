import { describe, expect, it } from 'vitest'
import type { TimelineEntry } from '../../../shared/domain'
import { hubNamer } from '../../../shared/timeline'
import { ConnectionStateTracker } from '../../../electron/device/connection-state'

describe('ConnectionStateTracker', () => {
  it('records every transition with time, cause (as data and in words), and the hub it concerns', () => {
    const entries: TimelineEntry[] = []
    let now = 1000
    const t = new ConnectionStateTracker(
      (e) => entries.push(e),
      hubNamer({ 'h:1': 'A' }),
      () => now++,
    )
    t.set({ kind: 'provisioning', attempt: 1 }, { code: 'dps-register', host: 'dps:1' })
    const connected = {
      code: 'connected',
      hub: 'h:1',
      via: 'dps',
      home: false,
      move: 'failover',
      from: 'h:2',
      ms: 1200,
    } as const
    t.set({ kind: 'connected', hub: 'h:1', since: 5 }, connected, {
      mark: 'failover',
      durationMs: 1200,
    })
    expect(t.state).toEqual({ kind: 'connected', hub: 'h:1', since: 5 })
    expect(entries).toEqual([
      {
        id: 1,
        at: 1000,
        state: 'provisioning',
        cause: { code: 'dps-register', host: 'dps:1' },
        reason: 'registering with DPS at dps:1',
      },
      {
        id: 2,
        at: 1001,
        state: 'connected',
        cause: connected,
        reason: 'connected to hub A: failed over from h:2 in 1.20 s',
        mark: 'failover',
        durationMs: 1200,
        hub: 'h:1',
      },
    ])
  })
})
