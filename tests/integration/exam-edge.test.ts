import mqtt from 'mqtt'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { Check } from '../../lab/exam/checks'
import type { ExamEventId } from '../../lab/exam/evidence'
import { runExam, type ExamIo } from '../../lab/exam/run'
import { api, hubToken, testLab, waitFor } from '../support/lab'
import { provisionIn } from '../support/sdk-device'
import { connectFlowing, newSession } from './fixtures/engine'

// Devices that make an exam hard to finish — one that sends nothing, one that goes away in the
// middle, two clients on one id — each get a clear result in bounded time; and an exam stopped
// half way (Ctrl+C) leaves the lab as it found it: both hubs up, DPS answering, quotas unchanged.

let lab: Awaited<ReturnType<typeof testLab>>

beforeAll(async () => {
  lab = await testLab({ dpsDetectSec: 1, rebalanceSec: 0 })
})
afterAll(async () => {
  await lab?.stop()
})

const byId = (checks: Check[]) => Object.fromEntries(checks.map((c) => [c.id, c]))

function exam(
  deviceId: string,
  events: ExamEventId[],
  io: Partial<ExamIo> = {},
  timing: { eventTimeoutSec?: number; dpsDetectSec?: number } = {},
) {
  return runExam(
    {
      url: lab.controlUrl,
      deviceId,
      events,
      model: null,
      dpsDetectSec: timing.dpsDetectSec ?? 1,
      eventTimeoutSec: timing.eventTimeoutSec ?? 8,
      timeBoundSec: 60,
      warmupSec: 2,
      endWaitSec: 0,
      throttleSec: 30,
      throttleRetryAfterSec: 1,
      answerSec: 2,
    },
    { signal: new AbortController().signal, progress: () => {}, ...io },
  )
}

/** A device of its own making: MQTT by hand, reconnecting by itself, telemetry if asked. */
function handMade(host: string, deviceId: string, telemetryMs: number | null) {
  const c = mqtt.connect(`mqtts://${host}`, {
    clientId: deviceId,
    username: `${host}/${deviceId}/?api-version=2021-04-12`,
    password: hubToken(lab, host, deviceId),
    ca: lab.ca,
    protocolVersion: 4,
    clean: false,
    keepalive: 30,
    reconnectPeriod: 300,
  })
  c.on('error', () => {})
  const timer =
    telemetryMs === null
      ? null
      : setInterval(() => {
          if (c.connected)
            c.publish(`devices/${deviceId}/messages/events/`, '{"temp":21}', { qos: 1 })
        }, telemetryMs)
  return {
    client: c,
    end: async () => {
      if (timer) clearInterval(timer)
      await c.endAsync(true)
    },
  }
}

async function labState() {
  const [hubs, facts, quotas] = await Promise.all([
    api<Record<'a' | 'b', { mode: string; dps: { state: string } }>>(lab, 'GET', '/hubs'),
    api<{ dps: { mode: string } }>(lab, 'GET', '/lab'),
    api(lab, 'GET', '/quotas'),
  ])
  return {
    hubs: { a: hubs.body.a.mode, b: hubs.body.b.mode },
    dpsSees: { a: hubs.body.a.dps.state, b: hubs.body.b.dps.state },
    dps: facts.body.dps.mode,
    quotas: quotas.body,
  }
}

const healthy = {
  hubs: { a: 'up', b: 'up' },
  dpsSees: { a: 'available', b: 'available' },
  dps: 'up',
}

describe('lizard exam: devices that make it hard', () => {
  it('a device that sends nothing: judged by its connections, and told it sent nothing', async () => {
    const id = 'exam-silent'
    const r = await provisionIn(lab, id)
    const device = handMade(r.assignedHub, id, null)
    try {
      await waitFor('it connected', () => device.client.connected)
      const t0 = Date.now()
      const { checks } = await exam(id, ['restart'])
      expect(Date.now() - t0).toBeLessThan(30_000)
      const c = byId(checks)
      expect(c['device.telemetry']).toMatchObject({ status: 'fail', figure: 'none' })
      expect(c['device.telemetry']!.why).toMatch(/sent no telemetry/)
      // It reconnects by itself: back, by its CONNECT.
      expect(c['restart.back']!.status).toBe('pass')
      expect(c['restart.back']!.why).toMatch(/connected \(it sent no telemetry\)/)
      expect(c['restart.data']).toMatchObject({ status: 'warn', figure: 'no telemetry' })
      // Subscribed to nothing: the method call says so rather than timing out.
      expect(c['restart.method']).toMatchObject({ status: 'fail', figure: 'not subscribed' })
      expect(c['restart.c2d']!.status).toBe('fail')
    } finally {
      await device.end()
    }
  })

  it('a device that disconnects mid-exam: the events after are skipped, saying why', async () => {
    const id = 'exam-leaver'
    const { session, dispose } = newSession(lab, id)
    try {
      await connectFlowing(lab, session, id)
      const { evidence, checks } = await exam(id, ['restart', 'manual-failover', 'kill'], {
        // Stopped right after the first event, with a clean DISCONNECT.
        moved: async (m) => {
          if (m.id === 'restart') await session.close()
        },
      })
      const c = byId(checks)
      expect(c['restart.back']!.status).toBe('pass')
      expect(evidence.moves.map((m) => m.id)).toEqual(['restart'])
      expect(c['manual-failover.skipped']!.status).toBe('warn')
      expect(c['manual-failover.skipped']!.why).toMatch(
        /^exam-leaver closed its connection \(DISCONNECT\) [\d.]+ s into the exam and was not connected when the manual-failover event was due$/,
      )
      expect(c['kill.skipped']!.why).toMatch(/closed its connection \(DISCONNECT\)/)
      expect(c['end.clean-disconnect']).toMatchObject({
        status: 'pass',
        figure: 'disconnect-packet',
      })
      expect(await labState()).toMatchObject(healthy)
    } finally {
      await dispose()
    }
  })

  it('two clients with one id: identity.one-client fails, counting the takeovers', async () => {
    const id = 'exam-twins'
    const r = await provisionIn(lab, id)
    const one = handMade(r.assignedHub, id, 200)
    const two = handMade(r.assignedHub, id, 200)
    try {
      await waitFor('both connected once', () => one.client.connected || two.client.connected)
      const { checks } = await exam(id, ['restart'])
      const c = byId(checks)
      expect(c['identity.one-client']!.status).toBe('fail')
      expect(c['identity.one-client']!.figure).toMatch(/^\d+ takeovers$/)
      expect(c['identity.one-client']!.why).toMatch(
        /another client connected with this device id \d+ times, each taking the connection over: run one copy per id/,
      )
    } finally {
      await Promise.all([one.end(), two.end()])
    }
  })
})

describe('lizard exam: stopped half way', () => {
  for (const [event, acted] of [
    ['kill', async (from: 'a' | 'b') => (await labState()).hubs[from] === 'killed'],
    ['throttle', async () => (await labState()).dps === 'throttled'],
  ] as const)
    it(`restores the lab when stopped during ${event}`, async () => {
      const id = `exam-stop-${event}`
      const { session, dispose } = newSession(lab, id)
      try {
        await connectFlowing(lab, session, id)
        const before = await labState()
        expect(before).toMatchObject(healthy)
        const from = (await api<{ connectedTo: 'a' | 'b' }>(lab, 'GET', `/devices/${id}`)).body
          .connectedTo
        const stop = new AbortController()
        // DPS slow to notice, so the device is away when the exam is stopped.
        const running = exam(id, [event], { signal: stop.signal }, { dpsDetectSec: 60 })
        await waitFor(`the exam's ${event}`, () => acted(from), 20_000)
        stop.abort('Ctrl+C')
        const { evidence, checks } = await running
        const c = byId(checks)
        // The caller's words for what stopped it (lizard: Ctrl+C; the window: its Stop).
        expect(evidence.interrupted).toMatch(/stopped before the end \(Ctrl\+C\)/)
        expect(c['exam.interrupted']!.status).toBe('warn')
        expect(c[`${event}.skipped`]!.why).toBe('the exam was stopped during it')
        expect(await labState()).toEqual({ ...before, ...healthy })
        // And the device, on a lab restored, is home again.
        await waitFor(
          'the device back home',
          async () =>
            (await api<{ connectedTo: string }>(lab, 'GET', `/devices/${id}`)).body.connectedTo ===
            from,
        )
      } finally {
        await dispose()
      }
    })
})
