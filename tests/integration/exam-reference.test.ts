import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { Check } from '../../lab/exam/checks'
import { result, table } from '../../lab/exam/render'
import { runExam } from '../../lab/exam/run'
import { api, testLab, waitFor } from '../support/lab'
import { startReferenceSample } from '../support/reference-device'

// `lizard exam` against a device that behaves as the Node reference sample does, built from the
// unmodified Azure SDK (tests/support/reference-device-child.ts): the SDK's own retry against a
// hub that refuses it, no re-provisioning, no seq, no model-id on its hub connection, only the
// first key of a desired patch acknowledged, stopped with Ctrl+C. It fails the checks that say
// so, each with the fix in its why.

let lab: Awaited<ReturnType<typeof testLab>>

beforeAll(async () => {
  lab = await testLab({ dpsDetectSec: 1, rebalanceSec: 0 })
})
afterAll(async () => {
  await lab?.stop()
})

const byId = (checks: Check[]) => Object.fromEntries(checks.map((c) => [c.id, c]))

describe('lizard exam against the reference sample', () => {
  it('fails the right checks with the right reasons', async () => {
    const id = 'exam-reference'
    const sample = startReferenceSample(lab, id, { telemetryMs: 500 })
    const started = Date.now()
    const lines: string[] = []
    try {
      await sample.connected()
      // Connected, then subscribed: only then does the hub push desired patches to it.
      await waitFor('its twin subscriptions', async () => {
        const d = await api<{ subscriptions: string[] }>(lab, 'GET', `/devices/${id}`)
        return d.body.subscriptions?.includes('$iothub/twin/PATCH/properties/desired/#')
      })
      // An edit of two properties at once, made before the exam: the sample acknowledges the
      // first, and never reads the twin again after reconnecting.
      await api(lab, 'PATCH', `/devices/${id}/twin/desired`, { lizardExamA: 0, lizardExamB: 0 })
      await waitFor('its acknowledgement of the first key', async () => {
        const d = await api<{ twin: { reported: Record<string, unknown> } }>(
          lab,
          'GET',
          `/devices/${id}`,
        )
        return d.body.twin.reported.lizardExamA
      })
      let interrupted: Promise<void> | null = null
      const { evidence, checks } = await runExam(
        {
          url: lab.controlUrl,
          deviceId: id,
          events: ['restart', 'manual-failover'],
          model: null,
          dpsDetectSec: 1,
          eventTimeoutSec: 10,
          timeBoundSec: 120,
          warmupSec: 5,
          endWaitSec: 10,
          throttleSec: 3,
          throttleRetryAfterSec: 1,
          answerSec: 3,
        },
        {
          signal: new AbortController().signal,
          progress: (line) => {
            lines.push(`${((Date.now() - started) / 1000).toFixed(1)} ${line}`)
            if (line.startsWith(`stop ${id} now`)) interrupted = sample.interrupt()
          },
        },
      )
      await interrupted
      const c = byId(checks)
      const why = (check: string) => c[check]?.why ?? `(no ${check})`
      const report = `${lines.join('\n')}\n${table(result(id, evidence.startedAt, evidence.endedAt, checks), 160)}`
      if (process.env.EXAM_SHOW) console.log(report)

      // The hub restarted: the SDK reconnects to it by itself, as the seed advises.
      expect(c['restart.back']?.status, report).toBe('pass')
      expect(c['restart.cached-hub']?.status, report).toBe('pass')
      // It acknowledges one key of a two-key patch, and nothing after reconnecting.
      expect(c['restart.desired'], report).toMatchObject({
        status: 'fail',
        figure: '1/2 keys acknowledged',
      })
      expect(why('restart.desired')).toMatch(/acknowledge every key, not only the first/)
      expect(c['restart.desired-resync']?.status, report).toBe('warn')
      expect(why('restart.desired-resync')).toMatch(
        /read the twin and acknowledge it after every connect/,
      )
      // No seq: gaps estimated from its period, never called a loss.
      expect(c['restart.data']?.figure, report).toMatch(/estimated/)
      expect(c['restart.data']?.status).not.toBe('fail')

      // Failed over: the SDK keeps knocking on the hub that refused it, never asks DPS.
      expect(c['manual-failover.back']?.status, report).toBe('fail')
      expect(why('manual-failover.back')).toMatch(/go back to DPS and connect where it says/)
      expect(c['manual-failover.via-dps']?.status, report).toBe('fail')
      expect(why('manual-failover.via-dps')).toMatch(/must re-provision/)
      expect(c['manual-failover.refused-retries']?.status, report).not.toBe('pass')
      expect(why('manual-failover.refused-retries')).toMatch(
        /^retried the refused hub [AB] \d+ times over [\d.]+ s; on CONNACK 5 go back to DPS$/,
      )

      // No model-id on its hub connection; iotcModelId in its DPS payload.
      expect(c['identity.model-id']?.status, report).toBe('fail')
      expect(why('identity.model-id')).toMatch(/pass the model id to the client/)
      expect(c['identity.dps-payload']).toMatchObject({
        status: 'pass',
        figure: 'dtmi:Sample:Failover;1',
      })
      // Ctrl+C ends the sample with process.exit(): the socket drops without a DISCONNECT.
      expect(c['end.clean-disconnect']?.status, report).toBe('fail')
      expect(why('end.clean-disconnect')).toMatch(/close the client before exiting/)
    } finally {
      await sample.stop()
    }
  }, 120_000)
})
