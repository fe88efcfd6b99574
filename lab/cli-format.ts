import type { ConformanceView } from './conformance-log'
import type { HubView, PlanStep } from './hub-control'

// How lizard prints hubs, devices and plans: one place for the words, so commands stay short.

/** Local wall-clock time, as a person watching a terminal reads it. */
export function clock(iso: string | null): string {
  if (!iso) return '-'
  const d = new Date(iso)
  return [d.getHours(), d.getMinutes(), d.getSeconds()]
    .map((n) => String(n).padStart(2, '0'))
    .join(':')
}

export function table(rows: string[][]): string {
  const widths = rows[0]!.map((_, i) => Math.max(...rows.map((r) => r[i]!.length)))
  return rows
    .map((r) =>
      r
        .map((c, i) => c.padEnd(widths[i]!))
        .join('  ')
        .trimEnd(),
    )
    .join('\n')
}

/** What DPS does about a hub, in words, with the time of its next step. */
export function dpsWords(h: HubView): string {
  const d = h.dps
  switch (d.state) {
    case 'available':
      return d.unaware && h.mode !== 'up' ? 'still names it (dps-unaware)' : 'names it'
    case 'detecting':
      return `names it until ${clock(d.detectAt)} (detection)`
    case 'unavailable':
      return 'does not name it: its devices go to the other hub'
    case 'rebalancing':
      return `names it again at ${clock(d.rebalanceAt)} (rebalance)`
  }
}

export function hubsTable(hubs: Record<'a' | 'b', HubView>): string {
  const rows = [['HUB', 'HOST', 'STATE', 'SINCE', 'DEVICES', 'DPS']]
  for (const h of [hubs.a, hubs.b]) {
    const state = h.outage ? `${h.mode} (outage until ${clock(h.outage.restoreAt)})` : h.mode
    rows.push([
      h.hub.toUpperCase(),
      h.host,
      state,
      clock(h.since),
      String(h.connected),
      dpsWords(h),
    ])
  }
  return table(rows)
}

export interface DeviceRow {
  deviceId: string
  homeHub: string
  assignedHub: string
  failedOverUntil: string | null
  connectedTo: string | null
  telemetryCount: number
  dpsAssigns?: string | null
  dpsReason?: string
  modelId?: string | null
  /** Findings against its template; null when the lab has no template for it. */
  findings?: number | null
}

const reasons: Record<string, string> = {
  home: 'home',
  'failed-over': 'failed over',
  'home-unavailable': 'home hub down',
  'failed-over-hub-unavailable': 'failover hub down',
  'no-hub-available': 'no hub available',
  rehoming: 'new home',
}

export function devicesTable(list: DeviceRow[]): string {
  if (list.length === 0) return 'No devices have registered yet.'
  const rows = [
    [
      'DEVICE',
      'HOME',
      'ASSIGNED',
      'CONNECTED',
      'DPS NAMES',
      'TELEMETRY',
      'FINDINGS',
      'FAILED OVER UNTIL',
    ],
  ]
  for (const d of list) {
    const dps =
      d.dpsAssigns === undefined
        ? '-'
        : `${d.dpsAssigns?.toUpperCase() ?? 'none'} (${reasons[d.dpsReason ?? ''] ?? d.dpsReason})`
    rows.push([
      d.deviceId,
      d.homeHub.toUpperCase(),
      d.assignedHub.toUpperCase(),
      d.connectedTo?.toUpperCase() ?? '-',
      dps,
      String(d.telemetryCount),
      findingsCell(d),
      d.failedOverUntil ? clock(d.failedOverUntil) : '-',
    ])
  }
  return table(rows)
}

/** A count when the device is checked; why not, when it is not (`lizard conformance` says more). */
function findingsCell(d: DeviceRow): string {
  if (typeof d.findings === 'number') return String(d.findings)
  return d.modelId ? 'no template' : '-'
}

/** `lizard conformance <id>`: where the device stands against its template, latest findings last. */
export function conformanceText(deviceId: string, c: ConformanceView): string {
  if (c.template !== 'checked')
    return c.template === 'unknown'
      ? `${deviceId}: ${c.note}; give the lab the template (npx lizard model add FILE, or npm run lab -- --models DIR) and its traffic is checked from then on`
      : `${deviceId}: ${c.note}`
  const kinds = Object.entries(c.counts).filter(([, n]) => n > 0)
  const lines = [
    `${deviceId}: ${c.modelId} — ${c.checked} message(s) checked, ${c.findings} finding(s)` +
      (kinds.length ? `\n  ${kinds.map(([k, n]) => `${k} ${n}`).join(' · ')}` : ''),
  ]
  if (c.recent.length > 0) {
    lines.push(`Latest ${c.recent.length} (oldest first):`)
    lines.push(table(c.recent.map((f) => [`  ${clock(f.at)}`, f.kind, f.where, f.message])))
  }
  return lines.join('\n')
}

export function planText(hub: string, plan: PlanStep[]): string {
  const lines = plan.map((s) => `  ${clock(s.at)}  ${s.text}`)
  return [
    `Outage of hub ${hub.toUpperCase()}, as it will unfold:`,
    ...lines,
    '',
    `Watch it: lizard devices · end it now: lizard hub ${hub} restore`,
  ].join('\n')
}

/** What GET /quotas answers (lab/quotas.ts QuotaView), as lizard reads it. */
export interface QuotaViewRow {
  dpsRate: number
  dpsBurst: number | null
  dpsBurstInForce: number | null
  pollLimit: number
  pollWindowSec: number
  hubConnectRate: number
  hubConnectBurst: number | null
}

interface CountRow {
  accepted: number
  throttled: number
  perMinute: { minute: string; accepted: number; throttled: number }[]
}

/** What GET /stats answers, as lizard reads it. */
export interface LabStatsRow {
  quotas: QuotaViewRow
  dpsRegistrations: CountRow
  dpsPolls: CountRow
  hubConnects: Record<'a' | 'b', CountRow>
  devices: number
  homeHubs: Record<'a' | 'b', number>
  connected: Record<'a' | 'b', number>
}

const n = (x: number) => x.toLocaleString('en-US')

export function quotaLimits(q: QuotaViewRow): Record<'dps' | 'polls' | 'connects', string> {
  return {
    dps:
      q.dpsRate === 0
        ? 'off'
        : `${n(q.dpsRate)}/min, burst ${n(q.dpsBurstInForce ?? 0)}${q.dpsBurst === null ? ' (5 s worth)' : ''}`,
    polls: q.pollLimit === 0 ? 'off' : `${q.pollLimit} per ${q.pollWindowSec} s per device`,
    connects: q.hubConnectRate === 0 ? 'off' : `${n(q.hubConnectRate)}/s per hub`,
  }
}

/** `lizard quotas`: each limit in force, in words. */
export function quotasText(q: QuotaViewRow): string {
  const l = quotaLimits(q)
  return table([
    ['QUOTA', 'LIMIT'],
    ['DPS registrations', l.dps],
    ['DPS polls', l.polls],
    ['hub new connections', l.connects],
  ])
}

/** `lizard stats`: every quota's totals, the latest minutes, and how devices are spread. */
export function labStatsText(s: LabStatsRow, minutes = 10): string {
  const l = quotaLimits(s.quotas)
  const rows: [string, string, CountRow][] = [
    ['DPS registrations', l.dps, s.dpsRegistrations],
    ['DPS polls', l.polls, s.dpsPolls],
    ['hub A new connections', l.connects, s.hubConnects.a],
    ['hub B new connections', l.connects, s.hubConnects.b],
  ]
  const totals = table([
    ['QUOTA', 'LIMIT', 'ACCEPTED', 'THROTTLED'],
    ...rows.map(([what, limit, c]) => [what, limit, n(c.accepted), n(c.throttled)]),
  ])
  // Every series covers the same minutes: the lab counts them all from its start.
  const series = s.dpsRegistrations.perMinute.slice(-minutes)
  const pair = (c: CountRow, i: number) => {
    const m = c.perMinute[c.perMinute.length - series.length + i]
    return m ? `${n(m.accepted)}/${n(m.throttled)}` : '-'
  }
  const byMinute = table([
    ['MINUTE', 'DPS REG', 'DPS POLLS', 'HUB A', 'HUB B'],
    ...series.map((m, i) => [clock(m.minute).slice(0, 5), ...rows.map(([, , c]) => pair(c, i))]),
  ])
  const pct = (x: number) => (s.devices === 0 ? '-' : `${((x / s.devices) * 100).toFixed(1)} %`)
  const split =
    `Home hubs of ${n(s.devices)} registered device(s): ` +
    `A ${n(s.homeHubs.a)} (${pct(s.homeHubs.a)}) · B ${n(s.homeHubs.b)} (${pct(s.homeHubs.b)})` +
    `\nConnected now: A ${n(s.connected.a)} · B ${n(s.connected.b)}`
  return `${totals}\n\nPer minute, accepted/throttled (latest ${series.length}):\n${byMinute}\n\n${split}`
}
