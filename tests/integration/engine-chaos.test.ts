import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { api, testLab, waitFor } from '../support/lab'
import { connectHub } from '../support/sdk-device'
import {
  connectFlowing,
  hubName,
  labDevice,
  labTelemetry,
  newSession,
  nextEntryId,
  since,
  steps,
  untilState,
} from './fixtures/engine'

// Hub restarts and DPS trouble: the engine rides them out on its own and says what happened.

let lab: Awaited<ReturnType<typeof testLab>>

beforeAll(async () => {
  lab = await testLab()
})
afterAll(async () => {
  await lab?.stop()
})

describe('chaos', () => {
  it('rejoins a hub that dropped the connection but still answers through the cached hub, without DPS', async () => {
    const id = 'eng-dropped'
    const { session, dispose } = newSession(lab, id)
    try {
      const host = await connectFlowing(lab, session, id)
      const registrations = (await labDevice(lab, id)).dpsRegistrations

      // One connection with the same device id replaces ours: the hub closes it, and is alive.
      const from = nextEntryId(session)
      const other = await connectHub({
        hub: host,
        deviceId: id,
        groupKey: lab.groupPrimaryKey,
        ca: lab.ca,
      })
      await other.close()
      await waitFor('back', () => since(session, from).some((e) => e.state === 'connected'))

      const entries = since(session, from)
      expect(steps(entries)).toEqual(['lost lost', 'reconnecting hub-try', 'connected connected'])
      expect(entries[0]!.cause).toMatchObject({ code: 'lost', loss: { kind: 'closed' } })
      expect(entries[2]!.cause).toMatchObject({ code: 'connected', via: 'cache', move: null })
      expect((await labDevice(lab, id)).dpsRegistrations).toBe(registrations)
      expect(session.snapshot().counters).toMatchObject({ reconnects: 1, failovers: 0 })
      expect(session.snapshot().lastError).toBeNull()

      await session.disconnect()
      expect((await labTelemetry(lab, id)).stats.missing).toEqual([])
    } finally {
      await dispose()
    }
  })

  it('a hub down and back: asks DPS at once, backs off while DPS names it, and rejoins it when it is back', async () => {
    const id = 'eng-restart'
    const { session, dispose } = newSession(lab, id, { backoff: { initialMs: 300, maxMs: 1000 } })
    try {
      const host = await connectFlowing(lab, session, id)
      const hub = hubName(lab, host)

      const from = nextEntryId(session)
      await api(lab, 'POST', `/hubs/${hub}/kill`)
      try {
        await waitFor('DPS named the dead hub again', () =>
          since(session, from).some(
            (e) => e.cause?.code === 'wait' && e.cause.why.code === 'dps-same-hub',
          ),
        )
        expect(session.snapshot().hubHealth![host]).toMatchObject({ status: 'unreachable' })
      } finally {
        await api(lab, 'POST', `/hubs/${hub}/restore`)
      }
      await untilState(session, 'connected')
      const entries = since(session, from)
      expect(steps(entries).slice(0, 5)).toEqual([
        'lost lost',
        'reconnecting hub-try',
        'provisioning dps-after-hub',
        'connecting dps-assigned',
        'waiting wait',
      ])
      expect(entries.at(-1)).toMatchObject({ hub: host, cause: { code: 'connected', move: null } })
      expect(session.snapshot().counters).toMatchObject({ reconnects: 1, failovers: 0 })
      expect(session.snapshot().hubHealth![host]).toMatchObject({ status: 'up' })

      await session.disconnect()
      expect((await labTelemetry(lab, id)).stats.missing).toEqual([])
    } finally {
      await dispose()
    }
  })

  it('backs off while DPS throttles, honouring retry-after, and recovers when it stops', async () => {
    await api(lab, 'POST', '/dps/throttle', { retryAfter: 1 })
    const { session, dispose } = newSession(lab, 'eng-throttled')
    try {
      await session.connect()
      await waitFor('throttled', () => session.snapshot().lastError?.code === 'throttled')
      const waiting = session.timeline().find((e) => e.state === 'waiting')!
      expect(waiting.cause).toMatchObject({
        code: 'wait',
        why: { code: 'dps-failed', problem: { kind: 'throttled', retryAfterMs: 1000 } },
      })
      expect(session.snapshot().dpsHealth).toMatchObject({ status: 'throttled' })
      const state = session.snapshot().state
      expect(state.kind === 'waiting' && state.until - waiting.at).toBeGreaterThanOrEqual(1000)
      await waitFor(
        'a second throttled attempt',
        () => session.timeline().filter((e) => e.state === 'provisioning').length >= 2,
      )
      await api(lab, 'POST', '/dps/restore')
      await untilState(session, 'connected')
      expect(session.snapshot().lastError).toBeNull()
    } finally {
      await dispose()
    }
  })

  it('gives up on a DPS that does not answer after its own timeout, retries, and recovers', async () => {
    await api(lab, 'POST', '/dps/stop')
    const { session, dispose } = newSession(lab, 'eng-dps-down', { provisioningTimeoutMs: 1500 })
    try {
      await session.connect()
      await waitFor('DPS timed out', () => session.timeline().some((e) => e.state === 'waiting'))
      expect(session.timeline().find((e) => e.state === 'waiting')!.cause).toMatchObject({
        code: 'wait',
        why: { code: 'dps-failed', problem: { kind: 'timeout', ms: 1500 } },
      })
      expect(session.snapshot().lastError).toMatchObject({ code: 'unreachable' })
      await api(lab, 'POST', '/dps/restore')
      await untilState(session, 'connected', 20_000)
    } finally {
      await dispose()
    }
  })
})
