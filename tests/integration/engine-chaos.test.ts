import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { api, testLab, waitFor } from '../support/lab'
import {
  hubName,
  labDevice,
  labTelemetry,
  newSession,
  nextEntryId,
  since,
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
  it('reconnects to a restarted hub through its cached assignment, without asking DPS', async () => {
    const id = 'eng-restart'
    // A slower first retry gives the test time to bring the hub back between attempts.
    const { session, dispose } = newSession(lab, id, { backoff: { initialMs: 600, maxMs: 2000 } })
    try {
      await session.connect()
      await untilState(session, 'connected')
      const hub = hubName(lab, session.snapshot().hub!.host)
      await waitFor('telemetry flowing', async () => (await labTelemetry(lab, id)).stats.count >= 3)
      const registrations = (await labDevice(lab, id)).dpsRegistrations

      const from = nextEntryId(session)
      await api(lab, 'POST', `/hubs/${hub}/kill`)
      await waitFor(
        'the cached hub found down',
        () => session.snapshot().lastError?.code === 'unreachable',
      )
      expect(session.snapshot().state.kind).toBe('waiting')
      await api(lab, 'POST', `/hubs/${hub}/restore`)
      await untilState(session, 'connected')

      const entries = since(session, from)
      expect(entries.map((e) => e.state)).toEqual([
        'lost',
        'reconnecting',
        'waiting',
        'reconnecting',
        'connected',
      ])
      expect(entries.at(-1)!.reason).toMatch(/without asking DPS/)
      expect(entries[2]!.reason).toMatch(/ECONNREFUSED/)
      expect((await labDevice(lab, id)).dpsRegistrations).toBe(registrations)
      expect(session.snapshot().counters).toMatchObject({ reconnects: 1, failovers: 0 })

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
      expect(waiting.reason).toMatch(/throttling .*retry after 1 s; next try in/)
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
      expect(session.snapshot().lastError).toMatchObject({
        code: 'unreachable',
        message: expect.stringMatching(/DPS did not assign a hub within 1.5 s/),
      })
      await api(lab, 'POST', '/dps/restore')
      await untilState(session, 'connected', 20_000)
    } finally {
      await dispose()
    }
  })
})
