import type { DpsHealth, HubHealth, SessionSnapshot, TimelineEntry } from '../../shared/domain'
import type { MoveKind } from '../../shared/timeline'

export interface MapHub {
  host: string
  /** "A", "B", or a short host name for a real hub (an address, or more of the name, to tell two apart). */
  label: string
  health: HubHealth['status']
  detail: string | null
  isHome: boolean
  /** The device is connected here now. */
  isCurrent: boolean
}

export interface MapMove {
  /** The timeline entry it came from: a new id is a new move to animate. */
  id: number
  kind: MoveKind
  from: string
  to: string
  ms: number | null
  at: number
}

export interface MapModel {
  hubs: MapHub[]
  dps: DpsHealth['status']
  device: {
    id: string
    state: SessionSnapshot['state']['kind']
    /** The hub it is on, or null while it is between hubs (or asking DPS). */
    on: string | null
    askingDps: boolean
  }
  lastMove: MapMove | null
  /** The picture in one sentence, for screen readers. */
  summary: string
}

/** A host's name and port; `ip` when the name is an IPv4 or IPv6 address ("[::1]:8884" too). */
function hostParts(host: string): { name: string; port: string | null; ip: boolean } {
  const bracketed = /^\[([^\]]*)\](?::(\d+))?$/.exec(host)
  if (bracketed) return { name: bracketed[1]!, port: bracketed[2] ?? null, ip: true }
  // More than one colon and no brackets: a bare IPv6 address, which cannot carry a port.
  if (host.indexOf(':') !== host.lastIndexOf(':')) return { name: host, port: null, ip: true }
  const [name = '', port = null] = host.split(':')
  return { name, port, ip: /^\d{1,3}(\.\d{1,3}){3}$/.test(name) }
}

/**
 * The names a hub may go by, shortest first. A real hub's name is long; its first label is what
 * people recognise ("myhub-ne" of myhub-ne.azure-devices.net). An address has no such part: two
 * hubs on one machine differ only by port, so an address is named in full.
 */
function hubNames(host: string): string[] {
  const { name, port, ip } = hostParts(host)
  if (ip) return [host]
  const first = name.split('.')[0]!
  const short = first.length > 18 ? first.slice(0, 17) + '…' : first
  return [...new Set([short, ...(port ? [`${first}:${port}`] : []), host])]
}

/** Each hub's label: the lab's letter, else the shortest name no other hub shown has. */
function hubLabelsFor(hosts: string[], lab: Record<string, string>): string[] {
  const names = hosts.map((h) => (lab[h] !== undefined ? [lab[h]] : hubNames(h)))
  const level = hosts.map(() => 0)
  const labels = () => names.map((n, i) => n[level[i]!]!)
  for (;;) {
    const now = labels()
    let longer = false
    now.forEach((l, i) => {
      if (now.indexOf(l) !== now.lastIndexOf(l) && level[i]! < names[i]!.length - 1) {
        level[i]!++
        longer = true
      }
    })
    if (!longer) return now
  }
}

const healthWords: Record<HubHealth['status'], string> = {
  up: 'up',
  refusing: 'refusing the device',
  silent: 'silent',
  unreachable: 'unreachable',
  unknown: 'not heard from yet',
}

/** The hubs, DPS and the device as the map shows them, from the snapshot and the timeline. */
export function mapModel(s: SessionSnapshot, timeline: TimelineEntry[]): MapModel {
  const health = s.hubHealth ?? {}
  const hosts: string[] = []
  const add = (h: string | null | undefined) => {
    if (h && !hosts.includes(h)) hosts.push(h)
  }
  // The lab's hubs in their letter order, then whatever real hubs the device has met.
  Object.entries(s.hubLabels)
    .sort(([, a], [, b]) => a.localeCompare(b))
    .forEach(([h]) => add(h))
  add(s.homeHub)
  add(s.hub?.host)
  Object.keys(health).forEach(add)
  const connected = s.state.kind === 'connected' ? (s.hub?.host ?? null) : null
  const shown = hosts.slice(0, 4)
  const labels = hubLabelsFor(shown, s.hubLabels)
  const hubs = shown.map((host, i) => ({
    host,
    label: labels[i]!,
    health: health[host]?.status ?? 'unknown',
    detail: health[host]?.detail ?? null,
    isHome: host === s.homeHub,
    isCurrent: host === connected,
  }))
  let lastMove: MapMove | null = null
  for (let i = timeline.length - 1; i >= 0 && !lastMove; i--) {
    const c = timeline[i]!.cause
    if (c?.code === 'connected' && c.move)
      lastMove = {
        id: timeline[i]!.id,
        kind: c.move,
        from: c.from ?? '',
        to: c.hub,
        ms: c.ms,
        at: timeline[i]!.at,
      }
  }
  const askingDps = s.state.kind === 'provisioning'
  const name = (host: string) => {
    const h = hubs.find((x) => x.host === host)
    return h ? `hub ${h.label}` : host
  }
  const where = connected
    ? `is connected to ${name(connected)}${s.hub?.isHome ? ' (its home hub)' : s.homeHub ? ` (failed over; home is ${name(s.homeHub)})` : ''}`
    : askingDps
      ? 'is asking DPS which hub to use'
      : `is ${s.state.kind}`
  const summary = [
    `Device ${s.deviceId} ${where}.`,
    ...hubs.map((h) => `Hub ${h.label}: ${healthWords[h.health]}.`),
    `DPS: ${s.dpsHealth?.status ?? 'unknown'}.`,
    lastMove
      ? `Last ${lastMove.kind}: ${name(lastMove.from)} to ${name(lastMove.to)}${lastMove.ms !== null ? ` in ${(lastMove.ms / 1000).toFixed(2)} s` : ''}.`
      : '',
  ]
    .filter(Boolean)
    .join(' ')
  return {
    hubs,
    dps: s.dpsHealth?.status ?? 'unknown',
    device: { id: s.deviceId, state: s.state.kind, on: connected, askingDps },
    lastMove,
    summary,
  }
}
