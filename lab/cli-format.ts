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
