import { formatDuration } from './durations'
import { count } from './limits'
import type { Percentiles } from './percentiles'
import type { FleetReport } from './report'

// The report in a few lines for the person at the terminal (stderr); the JSON is the record.

const pct = (p: Percentiles, none = 'not all back') =>
  [`50 % ${fmt(p.p50, none)}`, `95 % ${fmt(p.p95, none)}`, `100 % ${fmt(p.p100, none)}`].join(' · ')
const fmt = (ms: number | null, none = 'not all back') => (ms === null ? none : formatDuration(ms))

export function summaryLines(r: FleetReport, where: string | null): string[] {
  const t = r.totals
  const f = r.fleet
  const hubs = Object.entries(t.connectedAtEnd)
    .map(([h, n]) => `${h} ${count(n)}`)
    .join(' · ')
  const lines = [
    `fleet: ${count(t.devices)} of ${count(f.devices)} devices · ${formatDuration(f.durationMs)} · ${f.ended}${f.endedWhy ? ` (${f.endedWhy})` : ''}`,
    `  first connections: ${pct(t.firstConnectMs, 'not all connected')} · at the end: ${hubs || 'none'} connected, ${count(t.notConnectedAtEnd)} not connected`,
    `  moves: ${count(t.moves.failover)} failovers, ${count(t.moves.failback)} failbacks by ${count(t.movedDevices)} devices · reconnects ${count(t.reconnects)} · registrations ${count(t.registrations)}${t.registrationsPerMove !== null ? ` (${t.registrationsPerMove} per move, ${t.registrationsPerMovedDevice} per moved device)` : ''} · throttled ${count(t.throttled)} · DPS errors ${count(t.dpsErrors)}`,
    `  data: produced ${count(t.produced)} · acknowledged ${count(t.acknowledged)} · queued ${count(t.queued)} · lost ${count(t.lost)} · duplicates ${t.duplicates === null ? 'not known (no lab)' : count(t.duplicates)} · missing ${t.missing === null ? 'not known' : count(t.missing)}`,
  ]
  if (r.labDps)
    lines.push(
      `  the lab's DPS: registrations ${count(r.labDps.registrations.accepted)} taken, ${count(r.labDps.registrations.throttled)} throttled · polls ${count(r.labDps.polls.accepted)} taken, ${count(r.labDps.polls.throttled)} throttled`,
    )
  for (const w of r.waves)
    lines.push(
      `  wave "${w.cause}" ${w.kind}: ${count(w.devices)} devices, ${count(w.back)} back · ${pct(w.backMs)} · first ack 100 % ${fmt(w.ackMs.p100)} · ${w.registrationsPerDevice ?? '–'} registrations each`,
    )
  for (const n of r.notes) lines.push(`  note: ${n}`)
  if (where) lines.push(`  report: ${where}`)
  return lines
}
