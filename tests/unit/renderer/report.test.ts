// @vitest-environment happy-dom
import { describe, expect, it } from 'vitest'
import type { AppInfo } from '../../../shared/contract'
import { zeroCounters, type SessionSnapshot, type TimelineEntry } from '../../../shared/domain'
import { failoverReportHtml, movesOf } from '../../../renderer/src/report'

const A = '127.0.0.1:8884'
const B = '127.0.0.1:8885'
const t0 = Date.UTC(2026, 10, 28, 12, 0, 0)

const timeline: TimelineEntry[] = [
  {
    id: 1,
    at: t0,
    state: 'connected',
    hub: A,
    reason: 'connected to hub A (home hub)',
    cause: { code: 'connected', hub: A, via: 'dps', home: true, move: null, from: null, ms: null },
  },
  {
    id: 2,
    at: t0 + 10_000,
    state: 'lost',
    hub: A,
    reason: 'hub A: <script>alert(1)</script>',
    cause: {
      code: 'lost',
      hub: A,
      loss: { kind: 'sdk-fault', detail: '<script>alert(1)</script>' },
      livedMs: 10_000,
    },
  },
  {
    id: 3,
    at: t0 + 11_070,
    state: 'connected',
    hub: B,
    mark: 'failover',
    durationMs: 1070,
    reason: 'connected to hub B: failed over from hub A',
    cause: {
      code: 'connected',
      hub: B,
      via: 'dps',
      home: false,
      move: 'failover',
      from: A,
      ms: 1070,
    },
  },
  {
    id: 4,
    at: t0 + 11_300,
    state: 'connected',
    hub: B,
    mark: 'failover',
    durationMs: 1300,
    reason: 'failover: first telemetry acknowledged',
    cause: { code: 'move-acked', move: 'failover', hub: B, from: A, ms: 1300, what: 'telemetry' },
  },
  {
    id: 5,
    at: t0 + 60_000,
    state: 'connected',
    hub: A,
    mark: 'failback',
    durationMs: 900,
    reason: 'failed back',
    cause: {
      code: 'connected',
      hub: A,
      via: 'dps',
      home: true,
      move: 'failback',
      from: B,
      ms: 900,
    },
  },
]

const snapshot = {
  deviceId: 'failover_js',
  modelId: 'dtmi:Sample:Failover;1',
  state: { kind: 'connected', hub: A, since: t0 + 60_000 },
  hub: { host: A, label: 'A', isHome: true },
  homeHub: A,
  counters: {
    ...zeroCounters(),
    failovers: 1,
    failbacks: 1,
    telemetrySent: 120,
    telemetryAcked: 120,
    duplicatesRisk: 2,
  },
  hubLabels: { [A]: 'A', [B]: 'B' },
} as unknown as SessionSnapshot

const info = { version: '1.0.0', shell: 'web', mode: 'lab' } as AppInfo

function parse(html: string): Document {
  return new DOMParser().parseFromString(html, 'text/html')
}

describe('the failover report', () => {
  it('pairs each move with both of its figures', () => {
    expect(movesOf(timeline)).toEqual([
      { kind: 'failover', at: t0 + 11_070, from: A, to: B, connectedMs: 1070, firstAckMs: 1300 },
      { kind: 'failback', at: t0 + 60_000, from: B, to: A, connectedMs: 900, firstAckMs: null },
    ])
  })

  it('is one self-contained HTML file with the moves, the counts and the lab verdict', () => {
    const html = failoverReportHtml({
      generatedAt: t0 + 61_000,
      info,
      settings: null,
      snapshot,
      timeline,
      lab: { count: 121, unique: 120, duplicates: 1, firstSeq: 1, lastSeq: 120, missing: [] },
    })
    const doc = parse(html)
    expect(doc.querySelectorAll('script')).toHaveLength(0)
    expect(html).not.toMatch(/<(link|img|iframe)\b|src=|href=/)
    const moves = [...doc.querySelectorAll('[data-move]')].map((r) =>
      [...r.querySelectorAll('td')].map((td) => td.textContent),
    )
    expect(moves).toEqual([
      ['2026-11-28 12:00:11.070 UTC', 'failover', `hub A ${A}`, `hub B ${B}`, '1.07 s', '1.30 s'],
      ['2026-11-28 12:01:00.000 UTC', 'failback', `hub B ${B}`, `hub A ${A}`, '900 ms', '—'],
    ])
    expect(doc.querySelector('[data-counter="telemetry acknowledged"]')!.textContent).toBe('120')
    expect(doc.querySelector('[data-lab="duplicates"]')!.textContent).toBe('1')
    expect(doc.body.textContent).toMatch(/1 duplicate/)
    // What a hub or a device said is text, never markup.
    expect(doc.body.textContent).toContain('<script>alert(1)</script>')
  })

  it('says plainly when nothing moved and when there is no lab to ask', () => {
    const html = failoverReportHtml({
      generatedAt: t0,
      info: { ...info, mode: 'central' },
      settings: null,
      snapshot,
      timeline: timeline.slice(0, 1),
      lab: null,
    })
    expect(parse(html).body.textContent).toMatch(/No failover or failback in this session/)
    expect(html).not.toMatch(/What the lab received/)
  })
})
