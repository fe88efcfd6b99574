import { execFile } from 'node:child_process'
import { join } from 'node:path'
import { promisify } from 'node:util'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { TimelineEntry } from '../../shared/domain'
import { api, testLab, waitFor } from '../support/lab'
import {
  connectedTo,
  hubName,
  labDevice,
  labTelemetry,
  newSession,
  nextEntryId,
  otherHost,
  since,
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

/** The states and reasons of a stretch of timeline, for readable assertions. */
const story = (entries: TimelineEntry[]) => entries.map((e) => `${e.state}: ${e.reason}`)

describe('failover and failback', () => {
  it('moves to the other hub on `lizard failover`, back on `lizard failback`, and loses no telemetry', async () => {
    const id = 'eng-failover'
    const { session, dispose } = newSession(lab, id)
    try {
      await session.connect()
      await untilState(session, 'connected')
      const home = session.snapshot().hub!.host
      const away = otherHost(lab, home)
      await waitFor('telemetry flowing', async () => (await labTelemetry(lab, id)).stats.count >= 5)

      const from = nextEntryId(session)
      const out = await lizard('failover', id)
      expect(out.stdout).toMatch(/failed over/i)
      await connectedTo(session, away)
      await waitFor('failover complete', () => session.snapshot().counters.lastFailoverMs !== null)
      const entries = since(session, from)
      expect(story(entries)).toEqual([
        // A telemetry write racing the hub's close reports EPIPE instead: the same event.
        expect.stringMatching(
          /^lost: hub .: (the hub closed the connection|the connection broke: .*EPIPE)/,
        ),
        expect.stringMatching(/^reconnecting: trying hub . again/),
        expect.stringMatching(
          /^provisioning: hub . refused the device \(CONNACK 5, not authorized\); asking DPS/,
        ),
        expect.stringMatching(/^connecting: DPS assigned hub . instead of hub ./),
        expect.stringMatching(/^connected: connected to hub .: failed over from hub ./),
        expect.stringMatching(/^connected: failover complete: first telemetry acknowledged/),
      ])
      expect(entries[0]!.hub).toBe(home)
      expect(entries[4]).toMatchObject({ hub: away, mark: 'failover' })
      expect(entries[5]).toMatchObject({
        hub: away,
        mark: 'failover',
        durationMs: session.snapshot().counters.lastFailoverMs,
      })
      expect(session.snapshot()).toMatchObject({
        homeHub: home,
        hub: { host: away, isHome: false },
        counters: { failovers: 1, failbacks: 0 },
      })
      expect((await labDevice(lab, id)).connectedTo).toBe(hubName(lab, away))

      await waitFor(
        'telemetry on the new hub',
        async () =>
          (await labTelemetry(lab, id)).messages.filter((m) => m.hub === hubName(lab, away))
            .length >= 5,
      )
      const back = nextEntryId(session)
      await lizard('failback', id)
      await connectedTo(session, home)
      await waitFor('failback complete', () =>
        since(session, back).some((e) => e.mark === 'failback' && e.durationMs !== undefined),
      )
      expect(since(session, back).find((e) => e.state === 'connected')).toMatchObject({
        hub: home,
        mark: 'failback',
      })
      expect(session.snapshot()).toMatchObject({
        hub: { host: home, isHome: true },
        counters: { failovers: 1, failbacks: 1 },
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
    } finally {
      await dispose()
    }
  })

  it('notices a blackholed hub by keep-alive and fails over from it', async () => {
    const id = 'eng-blackhole'
    // Twin requests get longer than keep-alive here, so it is keep-alive that notices the silence.
    const { session, dispose } = newSession(lab, id, { twinTimeoutMs: 8000 })
    try {
      await session.connect()
      await untilState(session, 'connected')
      const home = session.snapshot().hub!.host
      const away = otherHost(lab, home)
      await waitFor('telemetry flowing', async () => (await labTelemetry(lab, id)).stats.count >= 3)

      const from = nextEntryId(session)
      const cutAt = Date.now()
      await api(lab, 'POST', `/hubs/${hubName(lab, home)}/blackhole`)
      // The data center is gone: IoT Central moves its devices (its eviction from the dead hub never arrives).
      await api(lab, 'POST', `/system/iothub/devices/${id}/manual-failover`, {})
      await connectedTo(session, away, 20_000)
      const entries = since(session, from)
      const lost = entries.find((e) => e.state === 'lost')!
      expect(lost.reason).toMatch(/no answer for .* s \(keep-alive\)/)
      // keep-alive 2 s: silence is noticed between one and two ping periods later
      expect(lost.at - cutAt).toBeLessThan(5000)
      expect(story(entries)).toContainEqual(
        expect.stringMatching(/^provisioning: hub . did not answer .*; asking DPS/),
      )
      expect(entries.find((e) => e.state === 'connected')).toMatchObject({
        hub: away,
        mark: 'failover',
      })

      await api(lab, 'POST', `/hubs/${hubName(lab, home)}/restore`)
      await session.disconnect()
      expect((await labTelemetry(lab, id)).stats.missing).toEqual([])
    } finally {
      await dispose()
    }
  })
})
