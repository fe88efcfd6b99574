import type { AppInfo } from '../../shared/contract'
import type { LabStats } from '../../shared/lab-actions'
import type { SessionSnapshot, TimelineEntry } from '../../shared/domain'
import type { PublicSettings } from '../../shared/settings'
import { describeCause, hubNamer, type MoveKind } from '../../shared/timeline'

export interface ReportInput {
  generatedAt: number
  info: AppInfo
  settings: PublicSettings | null
  snapshot: SessionSnapshot
  timeline: TimelineEntry[]
  /** Present in lab mode when the lab could be asked. */
  lab: LabStats | null
}

export interface Move {
  kind: MoveKind
  at: number
  from: string
  to: string
  connectedMs: number | null
  firstAckMs: number | null
}

/** Every failover and failback in the timeline, with both of its figures. */
export function movesOf(timeline: TimelineEntry[]): Move[] {
  const moves: Move[] = []
  for (const e of timeline) {
    const c = e.cause
    if (c?.code === 'connected' && c.move)
      moves.push({
        kind: c.move,
        at: e.at,
        from: c.from ?? '?',
        to: c.hub,
        connectedMs: c.ms,
        firstAckMs: null,
      })
    else if (c?.code === 'move-acked') {
      const m = [...moves]
        .reverse()
        .find((x) => x.kind === c.move && x.to === c.hub && x.firstAckMs === null)
      if (m) m.firstAckMs = c.ms
    }
  }
  return moves
}

const esc = (s: unknown): string => String(s).replace(/[&<>"']/g, (ch) => `&#${ch.charCodeAt(0)};`)

const iso = (at: number) => new Date(at).toISOString().replace('T', ' ').replace('Z', ' UTC')
const ms = (v: number | null) =>
  v === null ? '—' : v < 1000 ? `${Math.round(v)} ms` : `${(v / 1000).toFixed(2)} s`

/** Rows of the timeline a report holds: enough for a ticket, bounded for a file. */
export const reportTimelineRows = 2000

/**
 * A failover report as one self-contained HTML file (no scripts, no external resources): what a
 * person attaches to a ticket. Every value from the device or the network is escaped.
 */
export function failoverReportHtml(r: ReportInput): string {
  const s = r.snapshot
  const name = hubNamer(s.hubLabels)
  const hub = (host: string) => {
    const n = name(host)
    return n === host ? esc(host) : `${esc(n)} <span class="muted">${esc(host)}</span>`
  }
  const c = s.counters
  const moves = movesOf(r.timeline)
  const first = r.timeline[0]?.at ?? r.generatedAt
  const shown = r.timeline.slice(-reportTimelineRows)
  const facts: [string, string][] = [
    ['Device', esc(s.deviceId)],
    ['Model', esc(s.modelId)],
    [
      'Where',
      r.info.mode === 'lab'
        ? 'embedded lab'
        : `IoT Central profile ${esc(r.settings?.profiles.find((p) => p.id === r.settings?.activeProfileId)?.name ?? '')} · DPS ${esc(r.settings?.provisioningHost ?? '')} · scope ${esc(r.settings?.idScope ?? '')}`,
    ],
    ['Home hub', s.homeHub ? hub(s.homeHub) : '—'],
    [
      'Now',
      `${esc(s.state.kind)}${s.hub ? ` on ${hub(s.hub.host)}${s.hub.isHome ? ' (home)' : ' (failed over)'}` : ''}`,
    ],
    ['Covers', `${esc(iso(first))} → ${esc(iso(r.generatedAt))}`],
    ['App', `${esc(r.info.version)} (${esc(r.info.shell)} shell)`],
  ]
  const counters: [string, number][] = [
    ['failovers', c.failovers],
    ['failbacks', c.failbacks],
    ['telemetry sent', c.telemetrySent],
    ['telemetry acknowledged', c.telemetryAcked],
    ['reported patches sent', c.reportedSent],
    ['reported patches acknowledged', c.reportedAcked],
    ['resent after a drop', c.duplicatesRisk],
    ['dropped (outbox full)', c.dropped],
    ['queued now', c.queued],
  ]
  const lab = r.lab
  const verdict = lab
    ? lab.missing.length === 0 && lab.duplicates === 0
      ? '<p class="ok">The lab received every message once: nothing missing, nothing duplicated.</p>'
      : `<p class="bad">The lab counted ${lab.missing.length} missing and ${lab.duplicates} duplicate message(s).</p>`
    : ''
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'">
<title>Failover report — ${esc(s.deviceId)} — ${esc(iso(r.generatedAt))}</title>
<style>
body{font:14px/1.45 system-ui,-apple-system,'Segoe UI',Roboto,sans-serif;color:#1f2328;max-width:1100px;margin:24px auto;padding:0 16px}
h1{font-size:22px;margin:0 0 4px}h2{font-size:16px;margin:24px 0 8px}
table{border-collapse:collapse;width:100%;font-size:13px}th,td{text-align:left;padding:4px 8px;border-bottom:1px solid #e1e4e8;vertical-align:top}
th{background:#f6f7f9}.num{text-align:right;font-variant-numeric:tabular-nums}.muted{color:#667085}
.failover{background:#fef3c7}.failback{background:#dcfce7}.ok{color:#166534;font-weight:600}.bad{color:#991b1b;font-weight:600}
dl{display:grid;grid-template-columns:max-content 1fr;gap:2px 16px}dt{color:#667085}dd{margin:0}
code,.mono{font-family:ui-monospace,Menlo,Consolas,monospace;font-size:12px}
</style></head><body>
<h1>Failover report: ${esc(s.deviceId)}</h1>
<p class="muted">Generated ${esc(iso(r.generatedAt))} by the IoT Central HA device emulator.</p>
<dl>${facts.map(([k, v]) => `<dt>${k}</dt><dd>${v}</dd>`).join('')}</dl>
<h2>Hub moves (${moves.length})</h2>
${
  moves.length === 0
    ? '<p class="muted">No failover or failback in this session.</p>'
    : `<table><thead><tr><th>time</th><th>move</th><th>from</th><th>to</th><th class="num">lost → connected</th><th class="num">lost → first ack</th></tr></thead><tbody>
${moves
  .map(
    (m) =>
      `<tr class="${esc(m.kind)}" data-move="${esc(m.kind)}"><td class="mono">${esc(iso(m.at))}</td><td>${esc(m.kind)}</td><td>${hub(m.from)}</td><td>${hub(m.to)}</td><td class="num">${ms(m.connectedMs)}</td><td class="num">${ms(m.firstAckMs)}</td></tr>`,
  )
  .join('\n')}
</tbody></table>`
}
<h2>Messages</h2>
<table><tbody>${counters.map(([k, v]) => `<tr><td>${k}</td><td class="num" data-counter="${k}">${v}</td></tr>`).join('')}</tbody></table>
${
  lab
    ? `<h2>What the lab received</h2>${verdict}
<table><tbody>
<tr><td>received</td><td class="num" data-lab="received">${lab.count}</td></tr>
<tr><td>unique (by message id)</td><td class="num">${lab.unique}</td></tr>
<tr><td>duplicates</td><td class="num" data-lab="duplicates">${lab.duplicates}</td></tr>
<tr><td>sequence numbers</td><td class="num">${lab.firstSeq ?? '—'} … ${lab.lastSeq ?? '—'}</td></tr>
<tr><td>missing</td><td class="num" data-lab="missing">${lab.missing.length === 0 ? 'none' : esc(lab.missing.slice(0, 100).join(', ') + (lab.missing.length > 100 ? ` … (${lab.missing.length})` : ''))}</td></tr>
</tbody></table>`
    : ''
}
<h2>Timeline${shown.length < r.timeline.length ? ` (the last ${shown.length} of ${r.timeline.length} entries)` : ''}</h2>
<table><thead><tr><th>time</th><th>state</th><th>hub</th><th>what happened</th></tr></thead><tbody>
${shown
  .map(
    (e) =>
      `<tr${e.mark ? ` class="${esc(e.mark)}"` : ''}><td class="mono">${esc(iso(e.at))}</td><td>${esc(e.state)}</td><td>${e.hub ? esc(name(e.hub)) : ''}</td><td>${esc(e.cause ? describeCause(e.cause, name) : e.reason)}</td></tr>`,
  )
  .join('\n')}
</tbody></table>
</body></html>
`
}
