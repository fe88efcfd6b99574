import { execFile } from 'node:child_process'
import { join } from 'node:path'
import { promisify } from 'node:util'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { api, testLab, waitFor } from '../support/lab'
import type { DeviceSession } from '../../electron/device/index'
import {
  connectFlowing,
  connectedTo,
  hubName,
  labDevice,
  labTelemetry,
  newSession,
  nextEntryId,
  otherHost,
  since,
  steps,
  untilState,
} from './fixtures/engine'

// Failover and failback as an operator does them: `lizard` in another process, against the lab.

const run = promisify(execFile)
const lizardBin = join(import.meta.dirname, '../../bin/lizard.js')
let lab: Awaited<ReturnType<typeof testLab>>

const lizard = (...args: string[]) =>
  run(process.execPath, [lizardBin, ...args], {
    env: { ...process.env, LIZARD_URL: lab.controlUrl },
  })

beforeAll(async () => {
  lab = await testLab()
})
afterAll(async () => {
  await lab?.stop()
})

/**
 * Connects, blackholes the home hub, and fails the device over as IoT Central does when a data
 * center goes (its eviction from the dead hub never arrives); returns once it is on the other hub.
 */
async function blackholeHome(session: DeviceSession, id: string) {
  const home = await connectFlowing(lab, session, id)
  const away = otherHost(lab, home)
  const from = nextEntryId(session)
  const cutAt = Date.now()
  await api(lab, 'POST', `/hubs/${hubName(lab, home)}/blackhole`)
  await api(lab, 'POST', `/system/iothub/devices/${id}/manual-failover`, {})
  await connectedTo(session, away, 20_000)
  return { home, away, cutAt, entries: since(session, from) }
}

describe('failover and failback', () => {
  it('moves to the other hub on `lizard failover`, back on `lizard failback`, and loses no telemetry', async () => {
    const id = 'eng-failover'
    const { session, dispose } = newSession(lab, id)
    try {
      const home = await connectFlowing(lab, session, id, 5)
      const away = otherHost(lab, home)

      const from = nextEntryId(session)
      const out = await lizard('failover', id)
      expect(out.stdout).toMatch(/failed over/i)
      await connectedTo(session, away)
      const figure = await waitFor('the first message acknowledged on the new hub', () => {
        const f = session.snapshot().counters.lastFailover
        return f?.firstAckMs != null ? f : null
      })
      const entries = since(session, from)
      expect(steps(entries)).toEqual([
        'lost lost',
        'reconnecting hub-try',
        'provisioning dps-after-hub',
        'connecting dps-assigned',
        'connected connected',
        'connected move-acked',
      ])
      // A telemetry write racing the hub's close reports EPIPE instead: the same event.
      expect(entries[0]).toMatchObject({
        hub: home,
        cause: {
          code: 'lost',
          hub: home,
          loss: { kind: expect.stringMatching(/^(closed|broken)$/) },
        },
      })
      expect(entries[1]!.cause).toEqual({ code: 'hub-try', hub: home, attempt: 1, after: 'loss' })
      expect(entries[2]!.cause).toEqual({
        code: 'dps-after-hub',
        hub: home,
        problem: { kind: 'refused', connack: 5 },
      })
      expect(entries[3]!.cause).toEqual({
        code: 'dps-assigned',
        hub: away,
        previous: home,
        substatus: 'deviceDataMigrated',
      })
      // Both figures: lost → connected (the failover time) and lost → first acknowledgement.
      expect(figure).toMatchObject({ from: home, to: away })
      expect(figure.firstAckMs!).toBeGreaterThanOrEqual(figure.connectedMs)
      expect(entries[4]).toMatchObject({
        hub: away,
        mark: 'failover',
        durationMs: figure.connectedMs,
        cause: { code: 'connected', move: 'failover', from: home, ms: figure.connectedMs },
      })
      expect(entries[5]).toMatchObject({
        hub: away,
        mark: 'failover',
        durationMs: figure.firstAckMs,
        cause: { code: 'move-acked', move: 'failover', hub: away, from: home },
      })
      expect(session.snapshot()).toMatchObject({
        homeHub: home,
        hub: { host: away, isHome: false },
        counters: {
          failovers: 1,
          failbacks: 0,
          lastFailoverMs: figure.connectedMs,
          lastFailback: null,
        },
      })
      expect((await labDevice(lab, id)).connectedTo).toBe(hubName(lab, away))
      // The old hub refused the device (CONNACK 5): how the window's map shows it.
      expect(session.snapshot().hubHealth).toMatchObject({
        [home]: { status: 'refusing', detail: 'CONNACK 5, not authorized' },
        [away]: { status: 'up' },
      })

      await waitFor(
        'telemetry on the new hub',
        async () =>
          (await labTelemetry(lab, id)).messages.filter((m) => m.hub === hubName(lab, away))
            .length >= 5,
      )
      const back = nextEntryId(session)
      await lizard('failback', id)
      await connectedTo(session, home)
      const failback = await waitFor('failback figures', () => {
        const f = session.snapshot().counters.lastFailback
        return f?.firstAckMs != null ? f : null
      })
      expect(since(session, back).find((e) => e.state === 'connected')).toMatchObject({
        hub: home,
        mark: 'failback',
        durationMs: failback.connectedMs,
      })
      // The failback has its own figure; the failover's stays what it was.
      expect(session.snapshot()).toMatchObject({
        hub: { host: home, isHome: true },
        counters: { failovers: 1, failbacks: 1, lastFailover: figure },
      })

      await waitFor(
        'telemetry home again',
        async () =>
          (await labTelemetry(lab, id)).messages.filter((m) => m.hub === hubName(lab, home))
            .length >= 10,
      )
      await session.disconnect()
      const { stats, messages } = await labTelemetry(lab, id)
      expect(stats.missing).toEqual([])
      expect(stats.firstSeq).toBe(1)
      expect(stats.lastSeq).toBe(session.snapshot().lastTelemetry!.seq)
      expect(new Set(messages.map((m) => m.hub))).toEqual(new Set(['a', 'b']))
      // Telemetry and reported patches are counted apart, and add up to what was sent.
      const c = session.snapshot().counters
      expect(c.telemetryAcked).toBe(stats.count)
      expect(c.reportedAcked).toBeGreaterThan(0)
      expect(c.sent).toBe(c.telemetrySent + c.reportedSent)
      expect(c.acknowledged).toBe(c.telemetryAcked + c.reportedAcked)
    } finally {
      await dispose()
    }
  })

  it('with telemetry and reported properties off, a failover is complete once connected', async () => {
    const id = 'eng-failover-quiet'
    const { session, dispose } = newSession(lab, id, {
      behaviours: { telemetry: false, reportedProperties: false },
    })
    try {
      await session.connect()
      await untilState(session, 'connected')
      const away = otherHost(lab, session.snapshot().hub!.host)
      await api(lab, 'POST', `/system/iothub/devices/${id}/manual-failover`, {})
      await connectedTo(session, away)
      const { counters } = session.snapshot()
      expect(counters.failovers).toBe(1)
      expect(counters.lastFailover).toMatchObject({ to: away, firstAckMs: null })
      expect(counters.lastFailover!.connectedMs).toBeGreaterThanOrEqual(0)
      expect(counters.lastFailoverMs).toBe(counters.lastFailover!.connectedMs)
    } finally {
      await dispose()
    }
  })

  it('notices a blackholed hub by keep-alive and asks DPS at once, without trying it again', async () => {
    const id = 'eng-blackhole'
    // Twin requests get longer than keep-alive here, so it is keep-alive that notices the silence.
    const { session, dispose } = newSession(lab, id, { twinTimeoutMs: 8000 })
    try {
      const { home, away, cutAt, entries } = await blackholeHome(session, id)
      expect(steps(entries).slice(0, 4)).toEqual([
        'lost lost',
        'provisioning dps-after-loss',
        'connecting dps-assigned',
        'connected connected',
      ])
      expect(entries[0]!.cause).toMatchObject({ code: 'lost', loss: { kind: 'silent' } })
      // keep-alive 2 s: silence is noticed between one and two ping periods later
      expect(entries[0]!.at - cutAt).toBeLessThan(5000)
      expect(entries[3]).toMatchObject({ hub: away, mark: 'failover' })
      // The failover figure counts from the hub's last word, not from when the silence was
      // noticed: it is the time the device was without a hub.
      const silentMs = (entries[0]!.cause as { loss: { ms: number } }).loss.ms
      expect(session.snapshot().counters.lastFailover!.connectedMs).toBeGreaterThanOrEqual(
        entries[3]!.at - entries[0]!.at + silentMs,
      )
      expect(session.snapshot().hubHealth).toMatchObject({
        [home]: { status: 'silent' },
        [away]: { status: 'up' },
      })

      await api(lab, 'POST', `/hubs/${hubName(lab, home)}/restore`)
      await session.disconnect()
      expect((await labTelemetry(lab, id)).stats.missing).toEqual([])
    } finally {
      await dispose()
    }
  })

  it('a hub gone silent and caught by an unanswered twin request counts as lost from its last word', async () => {
    const id = 'eng-twin-silent'
    // Keep-alive long, twin requests short and frequent: the twin timeout notices first.
    const { session, dispose } = newSession(lab, id, {
      keepAliveSec: 30,
      twinTimeoutMs: 1500,
      periods: { telemetryMs: 100, reportedMs: 300 },
    })
    try {
      const { home, cutAt, entries } = await blackholeHome(session, id)
      expect(entries[0]!.cause).toMatchObject({ code: 'lost', loss: { kind: 'twin-timeout' } })
      const connected = entries.find((e) => e.mark === 'failover')!
      // Lost → connected covers the silence from the cut on, not only what followed its notice.
      expect(session.snapshot().counters.lastFailover!.connectedMs).toBeGreaterThanOrEqual(
        connected.at - cutAt - 250,
      )
      await api(lab, 'POST', `/hubs/${hubName(lab, home)}/restore`)
    } finally {
      await dispose()
    }
  })

  it('a hub that refuses TCP is tried once, then DPS at once; what was produced offline goes out first', async () => {
    const id = 'eng-outage'
    const { session, dispose } = newSession(lab, id, {
      periods: { telemetryMs: 150, reportedMs: 400 },
    })
    try {
      const home = await connectFlowing(lab, session, id)
      const away = otherHost(lab, home)

      const from = nextEntryId(session)
      await api(lab, 'POST', `/hubs/${hubName(lab, home)}/kill`)
      try {
        // Until DPS learns of the outage it names the dead hub: the device backs off meanwhile.
        await waitFor('the dead hub refused', () =>
          since(session, from).some((e) => e.cause?.code === 'dps-after-hub'),
        )
        await waitFor('telemetry produced offline', () => session.snapshot().counters.queued >= 2)
        await api(lab, 'POST', `/system/iothub/devices/${id}/manual-failover`, {})
        await connectedTo(session, away)
      } finally {
        await api(lab, 'POST', `/hubs/${hubName(lab, home)}/restore`)
      }
      const entries = since(session, from)
      // One try of the cached hub (refused at TCP level), then DPS at once, no wait in between.
      expect(steps(entries).slice(0, 3)).toEqual([
        'lost lost',
        'reconnecting hub-try',
        'provisioning dps-after-hub',
      ])
      expect(entries[2]!.cause).toMatchObject({
        code: 'dps-after-hub',
        hub: home,
        problem: { kind: 'unreachable', error: { code: 'ECONNREFUSED' } },
      })
      const connected = entries.find((e) => e.state === 'connected')!
      expect(connected).toMatchObject({ hub: away, mark: 'failover' })

      await session.disconnect()
      const { messages, stats } = await labTelemetry(lab, id)
      expect(stats.missing).toEqual([])
      // The first message on the new hub is one produced before the device got there.
      const first = messages.find((m) => m.hub === hubName(lab, away))!
      const producedAt = session.recentTelemetry().find((t) => t.seq === first.seq)!.at
      expect(producedAt).toBeLessThan(connected.at)
    } finally {
      await dispose()
    }
  })
})
