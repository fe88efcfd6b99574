import type { FleetMarker, FleetSnapshot, FleetStatus } from '../../shared/fleet-view'

// What the fleet view draws, worked out before any drawing: the charts' lines and markers and the
// words for the figures. Pure, so it is tested without a canvas.

export type LineDefs = readonly { readonly label: string; readonly color: string }[]

export const waveLines = [
  { key: 'a', label: 'hub A', color: '#2563eb' },
  { key: 'b', label: 'hub B', color: '#7c3aed' },
  { key: 'away', label: 'lost, not back', color: '#dc2626' },
  { key: 'waiting', label: 'not connected yet', color: '#9ca3af' },
] as const

export const dpsLines = [
  { key: 'accepted', label: 'accepted / s', color: '#16a34a' },
  { key: 'throttled', label: 'throttled / s', color: '#d97706' },
] as const

const markerColors: Record<FleetMarker['kind'], string> = {
  'hub-down': '#dc2626',
  'hub-up': '#16a34a',
  'dps-away': '#b45309',
  'dps-home': '#15803d',
  dps: '#667085',
}

/** A marker's word on the chart: short, the list under the chart has the sentence. */
export function markerLabel(m: FleetMarker): string {
  switch (m.kind) {
    case 'hub-down':
      return `${m.hub ?? ''} down`
    case 'hub-up':
      return `${m.hub ?? ''} up`
    case 'dps-away':
      return `DPS: ${m.hub ?? ''} away`
    case 'dps-home':
      return `DPS: ${m.hub ?? ''} home`
    case 'dps':
      return 'DPS'
  }
}

export function waveChartData(f: FleetSnapshot) {
  const s = f.series
  return {
    xs: s.map((p) => p.at),
    ys: [s.map((p) => p.a), s.map((p) => p.b), s.map((p) => p.away), s.map((p) => p.waiting)],
    markers: f.markers.map((m) => ({
      at: m.at,
      label: markerLabel(m),
      color: markerColors[m.kind],
    })),
  }
}

export function dpsChartData(f: FleetSnapshot) {
  const d = f.dps
  return {
    xs: d.map((p) => p.at),
    ys: [d.map((p) => p.accepted), d.map((p) => p.throttled)],
    markers: [],
  }
}

/** Milliseconds as seconds for a figure: 4.2 s, 12 s; an unknown figure is a dash. */
export function seconds(ms: number | null | undefined): string {
  if (ms === null || ms === undefined) return '—'
  const s = ms / 1000
  return `${s < 10 ? s.toFixed(1) : Math.round(s)} s`
}

export const statusWords: Record<FleetStatus, string> = {
  idle: 'No fleet yet',
  starting: 'Starting',
  running: 'Running',
  stopping: 'Stopping',
  stopped: 'Stopped',
  failed: 'Could not run',
}

export const isActive = (status: FleetStatus | undefined) =>
  status === 'starting' || status === 'running' || status === 'stopping'

/** The fleet's devices as a range of ids: fleet-0 … fleet-99. */
export function idRange(f: FleetSnapshot): string {
  if (!f.prefix || f.devices === 0) return ''
  return f.devices === 1 ? `${f.prefix}-0` : `${f.prefix}-0 … ${f.prefix}-${f.devices - 1}`
}

/** A quota's limit in words, as `lizard stats` says it. */
export function quotaLimits(f: FleetSnapshot) {
  const l = f.lab?.limits
  if (!l) return null
  return {
    registrations: l.dpsRate
      ? `${l.dpsRate}/min${l.dpsBurstInForce ? `, burst ${l.dpsBurstInForce}` : ''}`
      : 'off',
    polls: l.pollLimit ? `${l.pollLimit} per ${l.pollWindowSec} s per device` : 'off',
    hub: l.hubConnectRate ? `${l.hubConnectRate}/s per hub` : 'off',
  }
}

/** "12:03" for a per-minute row (the minute's start, local time). */
export function minuteText(iso: string): string {
  const d = new Date(iso)
  if (Number.isNaN(d.getTime())) return iso
  return `${String(d.getHours()).padStart(2, '0')}:${String(d.getMinutes()).padStart(2, '0')}`
}
