import { describe, expect, it } from 'vitest'
import { score, type Check } from '../../../lab/exam/checks'
import type { Evidence, Move, WireEvent } from '../../../lab/exam/evidence'
import { htmlReport, junit, result, table } from '../../../lab/exam/render'

// The scorecard from evidence alone: what a good device and one that behaves like the reference
// samples each earn, and why.

const t0 = 1_000_000
const tel = (at: number, hub: 'a' | 'b', seq: number | null, duplicate = false): WireEvent => ({
  at,
  kind: 'telemetry',
  hub,
  seq,
  messageId: seq === null ? null : `d-${seq}`,
  duplicate,
})
const reg = (
  at: number,
  outcome: 'accepted' | 'throttled' = 'accepted',
  retryAfterSec?: number,
): WireEvent => ({
  at,
  kind: 'dps-register',
  outcome,
  modelId: 'dtmi:x:Y;1',
  ...(retryAfterSec !== undefined ? { retryAfterSec } : {}),
})
const connect = (
  at: number,
  hub: 'a' | 'b',
  outcome: 'accepted' | 'refused' = 'accepted',
  connack?: number,
): WireEvent => ({
  at,
  kind: 'hub-connect',
  hub,
  outcome,
  modelId: 'dtmi:x:Y;1',
  replaced: false,
  ...(connack !== undefined ? { connack } : {}),
})

const goodAfter: Move['after'] = {
  method: { name: 'echo', status: 200 },
  c2d: { name: 'setAlarm', delivered: true },
  desired: {
    version: 4,
    keys: ['a', 'b'],
    acks: {
      a: { value: 1, ac: 200, av: 4, ad: 'completed' },
      b: { value: 2, ac: 400, av: 4, ad: 'no' },
    },
  },
  resyncedVersion: 3,
  desiredVersion: 3,
}

function evidence(moves: Move[], events: WireEvent[], extra: Partial<Evidence> = {}): Evidence {
  return {
    deviceId: 'd',
    startedAt: t0 - 20_000,
    endedAt: t0 + 600_000,
    periodMs: 1000,
    events,
    moves,
    skipped: [],
    conformance: { modelId: 'dtmi:x:Y;1', findings: 0, recent: [] },
    modelId: { connect: 'dtmi:x:Y;1', dps: 'dtmi:x:Y;1' },
    endedWith: 'disconnect-packet',
    interrupted: null,
    ...extra,
  }
}

const byId = (checks: Check[]) => Object.fromEntries(checks.map((c) => [c.id, c]))
const settings = { dpsDetectSec: 10 }

describe('the exam scorecard', () => {
  it('a device that fails over through DPS at once, loses nothing and answers on its new hub passes', () => {
    const seqs = Array.from({ length: 10 }, (_, i) => tel(t0 - 10_000 + i * 1000, 'a', i))
    const events = [
      ...seqs,
      reg(t0 + 100),
      connect(t0 + 900, 'b'),
      tel(t0 + 1000, 'b', 10),
      tel(t0 + 1100, 'b', 11),
    ]
    const move: Move = {
      id: 'manual-failover',
      startedAt: t0,
      from: 'a',
      to: 'b',
      backAt: t0 + 1000,
      backBy: 'telemetry',
      endedAt: t0 + 6000,
      after: goodAfter,
    }
    const c = byId(score(evidence([move], events), settings))
    expect(Object.values(c).filter((x) => x.status !== 'pass')).toEqual([])
    expect(c['manual-failover.back']!.figure).toBe('1.0 s')
    expect(c['manual-failover.data']!.figure).toBe('0 lost, 0 duplicates (by seq)')
  })

  it('a device like the reference samples fails the right checks, each saying what to do', () => {
    // Hammers the hub that refused it for four minutes, never asks DPS, sends no seq, acks one key.
    const refusals = Array.from({ length: 700 }, (_, i) =>
      connect(t0 + 100 + i * 340, 'a', 'refused', 5),
    )
    const events = [tel(t0 - 2000, 'a', null), tel(t0 - 1000, 'a', null), ...refusals]
    const move: Move = {
      id: 'manual-failover',
      startedAt: t0,
      from: 'a',
      to: 'b',
      backAt: null,
      backBy: null,
      endedAt: t0 + 240_000,
      after: {
        method: null,
        c2d: null,
        desired: null,
        resyncedVersion: null,
        desiredVersion: null,
      },
    }
    const c = byId(
      score(
        evidence([move], events, {
          modelId: { connect: null, dps: null },
          endedWith: 'socket-closed',
        }),
        settings,
      ),
    )
    expect(c['manual-failover.back']).toMatchObject({
      status: 'fail',
      figure: 'not back after 240.0 s',
    })
    expect(c['manual-failover.via-dps']).toMatchObject({ status: 'fail' })
    expect(c['manual-failover.refused-retries']!.status).toBe('fail')
    expect(c['manual-failover.refused-retries']!.why).toBe(
      'retried the refused hub A 700 times over 240.0 s; on CONNACK 5 go back to DPS',
    )
    // No seq: the gap is estimated from its period and labelled so, never called a loss.
    expect(c['manual-failover.data']).toMatchObject({ status: 'warn' })
    expect(c['manual-failover.data']!.figure).toMatch(/estimated/)
    expect(c['identity.model-id']!.status).toBe('fail')
    expect(c['end.clean-disconnect']!.status).toBe('fail')
  })

  it('acknowledging only the first key of a patch fails, with the reason', () => {
    const after: Move['after'] = {
      ...goodAfter,
      desired: {
        version: 5,
        keys: ['a', 'b'],
        acks: { a: { value: 1, ac: 200, av: 5, ad: 'ok' }, b: null },
      },
    }
    const move: Move = {
      id: 'manual-failback',
      startedAt: t0,
      from: 'b',
      to: 'a',
      backAt: t0 + 2000,
      backBy: 'telemetry',
      endedAt: t0 + 5000,
      after,
    }
    const c = byId(score(evidence([move], [reg(t0 + 10), tel(t0 + 2000, 'a', 1)]), settings))
    expect(c['manual-failback.desired']).toMatchObject({
      status: 'fail',
      figure: '1/2 keys acknowledged',
    })
    expect(c['manual-failback.desired']!.why).toMatch(/every key, not only the first/)
  })

  it('counts seq gaps as loss and resends as duplicates', () => {
    const events = [
      tel(t0 - 1000, 'a', 1),
      tel(t0 + 3000, 'b', 4),
      tel(t0 + 3100, 'b', 4, true),
      tel(t0 + 3200, 'b', 5),
    ]
    const move: Move = {
      id: 'kill',
      startedAt: t0,
      from: 'a',
      to: 'b',
      backAt: t0 + 3000,
      backBy: 'telemetry',
      endedAt: t0 + 6000,
      after: goodAfter,
    }
    const c = byId(score(evidence([move], [reg(t0 + 5), ...events]), settings))
    expect(c['kill.data']).toMatchObject({ status: 'fail', figure: '2 lost, 1 duplicate (by seq)' })
  })

  it('judges kill and blackhole after the DPS detection the exam gave, and a silent hub by how long it went unnoticed', () => {
    const move: Move = {
      id: 'blackhole',
      startedAt: t0,
      from: 'a',
      to: 'b',
      backAt: t0 + 200_000,
      backBy: 'telemetry',
      endedAt: t0 + 201_000,
      after: goodAfter,
    }
    const c = byId(
      score(evidence([move], [reg(t0 + 185_000), tel(t0 + 200_000, 'b', null)]), settings),
    )
    expect(c['blackhole.unnoticed']).toMatchObject({ status: 'fail', figure: '185.0 s' })
    expect(c['blackhole.unnoticed']!.why).toMatch(/keep-alive is 180 s/)
    expect(c['blackhole.back']!.figure).toBe('200.0 s (10.0 s of it DPS noticing)')
  })

  it('a hub restart passes with the cached hub and warns when the device re-provisions', () => {
    const move = (backAt: number): Move => ({
      id: 'restart',
      startedAt: t0,
      from: 'a',
      to: 'a',
      backAt,
      backBy: 'telemetry',
      endedAt: t0 + 5000,
      after: goodAfter,
    })
    expect(
      byId(score(evidence([move(t0 + 900)], [tel(t0 + 900, 'a', 1)]), settings))[
        'restart.cached-hub'
      ]!.status,
    ).toBe('pass')
    expect(
      byId(score(evidence([move(t0 + 900)], [reg(t0 + 100), tel(t0 + 900, 'a', 1)]), settings))[
        'restart.cached-hub'
      ]!.status,
    ).toBe('warn')
  })

  it('under throttling: coming back before retry-after fails; waiting exactly retry-after each time warns (lockstep)', () => {
    const move: Move = {
      id: 'throttle',
      startedAt: t0,
      from: 'b',
      to: 'a',
      backAt: t0 + 20_000,
      backBy: 'telemetry',
      endedAt: t0 + 21_000,
      retryAfterSec: 3,
      after: goodAfter,
    }
    const early = [reg(t0 + 100, 'throttled', 3), reg(t0 + 600, 'throttled', 3), reg(t0 + 4000)]
    const c1 = byId(score(evidence([move], early), settings))
    expect(c1['throttle.retry-after']).toMatchObject({ status: 'fail', figure: '2 × 429, 1 early' })
    const lockstep = [reg(t0 + 100, 'throttled', 3), reg(t0 + 3100, 'throttled', 3), reg(t0 + 6100)]
    const c2 = byId(score(evidence([move], lockstep), settings))
    expect(c2['throttle.retry-after']!.status).toBe('pass')
    expect(c2['throttle.jitter']).toMatchObject({ status: 'warn', figure: 'none' })
    const jittered = [reg(t0 + 100, 'throttled', 3), reg(t0 + 4800, 'throttled', 3), reg(t0 + 9000)]
    expect(byId(score(evidence([move], jittered), settings))['throttle.jitter']!.status).toBe(
      'pass',
    )
  })

  it('two clients on one id fail identity.one-client; a device that sends nothing gets a clear result', () => {
    const replaced = [1, 2, 3].map((i): WireEvent => ({
      ...(connect(t0 + i, 'a') as Extract<WireEvent, { kind: 'hub-connect' }>),
      replaced: true,
    }))
    const c = byId(score(evidence([], replaced, { periodMs: null }), settings))
    expect(c['identity.one-client']).toMatchObject({ status: 'fail', figure: '3 takeovers' })
    expect(c['device.telemetry']).toMatchObject({ status: 'fail' })
  })
})

describe('the scorecard’s forms', () => {
  const checks: Check[] = [
    { id: 'a.back', status: 'pass', figure: '1.0 s', why: 'fine' },
    { id: 'b.data', status: 'fail', figure: '2 lost', why: 'lost <readings> & "more"' },
  ]
  const r = result('dev<1>', t0, t0 + 1000, checks)

  it('JSON carries one object with a checks array of id, status, figure, why', () => {
    expect(JSON.parse(JSON.stringify(r))).toMatchObject({
      verdict: 'fail',
      counts: { pass: 1, fail: 1 },
      checks,
    })
  })

  it('JUnit XML has a failure per failed check, escaped', () => {
    const x = junit(r)
    expect(x).toContain('<testsuites name="lizard exam" tests="2" failures="1">')
    expect(x).toContain(
      '<failure message="2 lost">lost &lt;readings&gt; &amp; &quot;more&quot;</failure>',
    )
    expect(x).toContain('classname="lizard.exam.dev&lt;1&gt;"')
  })

  it('the HTML report is self-contained, escapes what it shows, and runs no script', () => {
    const h = htmlReport(r)
    expect(h).not.toMatch(/<script|src=|href=/i)
    expect(h).toContain('dev&lt;1&gt;')
    expect(h).toContain("default-src 'none'")
  })

  it('the terminal table names the verdict and every check', () => {
    const t = table(r, 100)
    expect(t.split('\n')[0]).toMatch(/FAIL — 1 passed, 0 warnings, 1 failed/)
    expect(t).toMatch(/FAIL b\.data/)
  })
})

describe('the scorecard, fair to the device', () => {
  const move = (over: Partial<Move>): Move => ({
    id: 'manual-failover',
    startedAt: t0,
    from: 'a',
    to: 'b',
    backAt: t0 + 1000,
    backBy: 'telemetry',
    endedAt: t0 + 5000,
    after: goodAfter,
    ...over,
  })

  it('does not count the time DPS was throttled, nor the requests it throttled, against the device', () => {
    const m = move({ id: 'throttle', backAt: t0 + 16_000, endedAt: t0 + 17_000, retryAfterSec: 3 })
    const events = [
      reg(t0 + 100, 'throttled', 3),
      reg(t0 + 3500, 'throttled', 3),
      reg(t0 + 7200, 'throttled', 3),
      reg(t0 + 15_500),
    ]
    const c = byId(score(evidence([m], events), { dpsDetectSec: 10, throttleSec: 15 }))
    expect(c['throttle.back']).toMatchObject({
      status: 'pass',
      figure: '16.0 s (15.0 s of it DPS throttled)',
    })
    expect(c['throttle.registrations']).toMatchObject({
      status: 'pass',
      figure: '1 (+3 throttled)',
    })
  })

  it('tells a method it does not subscribe to from one it does not answer, and a made-up one from its own', () => {
    const after = (method: Move['after']['method']): Move['after'] => ({ ...goodAfter, method })
    const judge = (method: Move['after']['method']) =>
      byId(score(evidence([move({ after: after(method) })], [reg(t0 + 10)]), settings))[
        'manual-failover.method'
      ]!
    expect(
      judge({ name: 'echo', status: null, outcome: 'not-subscribed', probe: false }),
    ).toMatchObject({ status: 'fail', figure: 'not subscribed' })
    expect(judge({ name: 'echo', status: null, outcome: 'no-answer', probe: false }).status).toBe(
      'fail',
    )
    const probe = judge({ name: 'lizardExamPing', status: null, outcome: 'no-answer', probe: true })
    expect(probe.status).toBe('warn')
    expect(probe.why).toMatch(/give --model <template>/)
    expect(judge({ name: 'lizardExamPing', status: 404, outcome: 'answered' }).status).toBe('pass')
  })

  it('does not ask a device that never came back to have acknowledged anything', () => {
    const m = move({
      backAt: null,
      backBy: null,
      after: { ...goodAfter, method: null, c2d: null, desired: null, resyncedVersion: null },
    })
    const c = byId(score(evidence([m], []), settings))
    expect(c['manual-failover.desired-resync']).toBeUndefined()
    expect(c['manual-failover.back']!.status).toBe('fail')
  })

  it('says so when the device closed its own connection and stayed away', () => {
    const events: WireEvent[] = [
      { at: t0 + 300, kind: 'hub-disconnect', hub: 'a', how: 'disconnect-packet' },
    ]
    const m = move({ backAt: null, backBy: null })
    const c = byId(score(evidence([m], events), settings))
    expect(c['manual-failover.back']!.why).toMatch(
      /closed its connection itself \(DISCONNECT\) 0\.3 s into the event/,
    )
  })

  it('says why its traffic was not checked, and when the lab let evidence go', () => {
    const c = byId(
      score(
        evidence([], [], {
          conformance: null,
          unchecked: 'the lab has no template for dtmi:x:Y;1: give --model <template.json>',
          wireDropped: 12,
        }),
        settings,
      ),
    )
    expect(c['template.conformance']).toMatchObject({
      status: 'warn',
      why: 'the lab has no template for dtmi:x:Y;1: give --model <template.json>',
    })
    expect(c['exam.evidence']).toMatchObject({ status: 'warn', figure: '12 events not seen' })
  })
})
