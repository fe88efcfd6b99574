import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { testLab, waitFor } from '../support/lab'
import { newSession, untilState } from './fixtures/engine'

// Settings that retrying cannot fix end in `failed` with the reason; a host that is merely
// unreachable keeps being retried, with the reason shown.

let lab: Awaited<ReturnType<typeof testLab>>
const pause = (ms: number) => new Promise((r) => setTimeout(r, ms))

beforeAll(async () => {
  lab = await testLab()
})
afterAll(async () => {
  await lab?.stop()
})

describe('bad settings', () => {
  it('a wrong group key fails with bad-credentials and stops there', async () => {
    const { session, dispose } = newSession(lab, 'eng-wrong-key', {
      groupKey: Buffer.alloc(64, 9).toString('base64'),
    })
    try {
      await session.connect()
      await untilState(session, 'failed')
      expect(session.snapshot().lastError).toMatchObject({
        code: 'bad-credentials',
        message: expect.stringMatching(/401/),
      })
      const entries = session.timeline().length
      const queued = session.snapshot().counters.queued
      await pause(800)
      expect(session.timeline()).toHaveLength(entries) // no silent retry loop
      expect(session.snapshot().counters.queued).toBe(queued) // and nothing more piles up
    } finally {
      await dispose()
    }
  })

  it('an unknown id scope fails with unknown-scope', async () => {
    const { session, dispose } = newSession(lab, 'eng-wrong-scope', { idScope: '0neFFFFFFFF' })
    try {
      await session.connect()
      await untilState(session, 'failed')
      const state = session.snapshot().state
      expect(state.kind === 'failed' && state.error).toMatchObject({
        code: 'unknown-scope',
        message: expect.stringMatching(/404/),
      })
    } finally {
      await dispose()
    }
  })

  it('an unreachable DPS host is retried with backoff and shown as unreachable', async () => {
    const { session, dispose } = newSession(lab, 'eng-no-dps', { provisioningHost: '127.0.0.1:1' })
    try {
      await session.connect()
      await waitFor(
        'two attempts',
        () => session.timeline().filter((e) => e.state === 'provisioning').length >= 2,
      )
      expect(session.snapshot().lastError).toMatchObject({
        code: 'unreachable',
        message: expect.stringMatching(/ECONNREFUSED/),
      })
      expect(session.timeline().find((e) => e.state === 'waiting')!.cause).toMatchObject({
        code: 'wait',
        why: {
          code: 'dps-failed',
          problem: { kind: 'unreachable', error: { code: 'ECONNREFUSED' } },
        },
      })
      expect(session.snapshot().dpsHealth).toMatchObject({ status: 'unreachable' })
    } finally {
      await dispose()
    }
  })

  it('reconnect() skips the backoff wait', async () => {
    const { session, dispose } = newSession(lab, 'eng-skip-wait', {
      provisioningHost: '127.0.0.1:1',
      backoff: { initialMs: 60_000, maxMs: 60_000 },
    })
    try {
      await session.connect()
      await untilState(session, 'waiting')
      const attempts = () => session.timeline().filter((e) => e.state === 'provisioning').length
      expect(attempts()).toBe(1)
      session.reconnect()
      await waitFor('a second attempt at once', () => attempts() === 2, 2000)
    } finally {
      await dispose()
    }
  })

  it('a malformed host fails at once, before any network traffic', async () => {
    const { session, dispose } = newSession(lab, 'eng-bad-host', {
      provisioningHost: 'https://not a host/',
    })
    try {
      await session.connect()
      expect(session.snapshot().state).toMatchObject({
        kind: 'failed',
        error: { code: 'bad-settings', message: expect.stringMatching(/^provisioning host/) },
      })
      expect(session.timeline().map((e) => e.state)).toEqual(['failed'])
    } finally {
      await dispose()
    }
  })
})
