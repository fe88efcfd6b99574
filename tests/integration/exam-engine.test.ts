import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { examEventIds } from '../../lab/exam/evidence'
import { runExam } from '../../lab/exam/run'
import { result, table } from '../../lab/exam/render'
import { api, testLab } from '../support/lab'
import { connectFlowing, model, newSession } from './fixtures/engine'

// `lizard exam` against our own engine, with the test fixture's fast timings: every disaster of
// the seed, every check passed. The lab's delays are small (DPS notices a dead hub in 1 s) and
// the exam is told so; the engine waits longer than that before asking DPS again about the same
// dead hub (as it does in the field: 5 s against DPS's 10 s), so it registers once or twice.

const failoverJson = readFileSync(join(import.meta.dirname, '../../failover.json'), 'utf8')
let lab: Awaited<ReturnType<typeof testLab>>

beforeAll(async () => {
  lab = await testLab({ dpsDetectSec: 1, rebalanceSec: 0 })
  // As `lizard exam --model failover.json` does: the lab checks its traffic against it.
  const r = await api(lab, 'POST', '/models', {
    documents: [{ name: 'failover.json', text: failoverJson }],
  })
  expect(r.status).toBe(200)
})
afterAll(async () => {
  await lab?.stop()
})

describe('lizard exam against our engine', () => {
  it('passes every check of every event, and ends with a clean disconnect', async () => {
    const id = 'exam-engine'
    const { session, dispose } = newSession(lab, id, { sameHubMinMs: 1500, sameHubSpreadMs: 500 })
    let closing: Promise<void> | null = null
    const lines: string[] = []
    try {
      await connectFlowing(lab, session, id)
      const started = Date.now()
      const { evidence, checks } = await runExam(
        {
          url: lab.controlUrl,
          deviceId: id,
          events: [...examEventIds],
          model,
          dpsDetectSec: 1,
          eventTimeoutSec: 30,
          timeBoundSec: 150,
          warmupSec: 5,
          endWaitSec: 15,
          throttleSec: 3,
          throttleRetryAfterSec: 1,
          answerSec: 5,
        },
        {
          signal: new AbortController().signal,
          progress: (line) => {
            lines.push(`${((Date.now() - started) / 1000).toFixed(1)} ${line}`)
            // The exam's last step: the device is stopped, to see how it disconnects.
            if (line.startsWith(`stop ${id} now`)) closing = session.close()
          },
        },
      )
      if (process.env.EXAM_SHOW)
        console.log(
          lines.join('\n') +
            '\n' +
            table(result(id, evidence.startedAt, evidence.endedAt, checks), 160),
        )
      const notPassed = checks.filter((c) => c.status !== 'pass')
      expect(notPassed, lines.join('\n')).toEqual([])
      expect(evidence.moves.map((m) => m.id)).toEqual([...examEventIds])
      expect(evidence.skipped).toEqual([])
      const ids = checks.map((c) => c.id)
      for (const e of examEventIds) expect(ids).toContain(`${e}.back`)
      expect(ids).toEqual(
        expect.arrayContaining([
          'manual-failover.via-dps',
          'manual-failover.refused-retries',
          'blackhole.unnoticed',
          'restart.cached-hub',
          'throttle.retry-after',
          'throttle.jitter',
          'kill.data',
          'manual-failback.method',
          'manual-failback.c2d',
          'manual-failback.desired',
          'kill.desired-resync',
          'identity.model-id',
          'identity.dps-payload',
          'identity.one-client',
          'template.conformance',
          'end.clean-disconnect',
        ]),
      )
      // Loss counted by its sequence numbers, not estimated.
      expect(checks.find((c) => c.id === 'kill.data')!.figure).toMatch(/by seq/)
      expect(checks.find((c) => c.id === 'template.conformance')!.figure).toMatch(
        /^0 findings in \d+ messages$/,
      )
    } finally {
      await closing
      await dispose()
    }
  }, 180_000)
})
