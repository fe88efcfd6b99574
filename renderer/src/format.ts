import type { AppError, ConnectionState, MoveFigure, StateKind } from '../../shared/domain'

export function clock(at: number, withMs = true): string {
  const d = new Date(at)
  const p = (n: number, w = 2) => String(n).padStart(w, '0')
  const base = `${p(d.getHours())}:${p(d.getMinutes())}:${p(d.getSeconds())}`
  return withMs ? `${base}.${p(d.getMilliseconds(), 3)}` : base
}

export function duration(ms: number): string {
  if (ms < 1000) return `${Math.round(ms)} ms`
  if (ms < 60_000) return `${(ms / 1000).toFixed(1)} s`
  const s = Math.floor(ms / 1000)
  const p = (n: number) => String(n).padStart(2, '0')
  return `${p(Math.floor(s / 3600))}:${p(Math.floor((s % 3600) / 60))}:${p(s % 60)}`
}

/** A failover or failback: the move itself (lost → connected), then lost → first ack when there is one. */
export function moveFigure(f: MoveFigure | null | undefined): string {
  if (!f) return '—'
  return f.firstAckMs === null
    ? duration(f.connectedMs)
    : `${duration(f.connectedMs)} · first ack ${duration(f.firstAckMs)}`
}

export function uptime(ms: number): string {
  const s = Math.max(0, Math.floor(ms / 1000))
  const p = (n: number) => String(n).padStart(2, '0')
  return `${p(Math.floor(s / 3600))}:${p(Math.floor((s % 3600) / 60))}:${p(s % 60)}`
}

export const stateLabels: Record<StateKind, string> = {
  idle: 'Idle',
  provisioning: 'Provisioning',
  connecting: 'Connecting',
  connected: 'Connected',
  lost: 'Connection lost',
  reconnecting: 'Reconnecting',
  waiting: 'Waiting to retry',
  disconnecting: 'Disconnecting',
  disconnected: 'Disconnected',
  failed: 'Failed',
}

/** good / busy / bad: the colour of the state dot. */
export function stateTone(kind: StateKind): 'good' | 'busy' | 'bad' | 'off' {
  switch (kind) {
    case 'connected':
      return 'good'
    case 'provisioning':
    case 'connecting':
    case 'reconnecting':
    case 'waiting':
    case 'disconnecting':
      return 'busy'
    case 'lost':
    case 'failed':
      return 'bad'
    default:
      return 'off'
  }
}

export function stateDetail(state: ConnectionState, now: number): string {
  switch (state.kind) {
    case 'provisioning':
      return state.attempt > 1 ? `attempt ${state.attempt}` : ''
    case 'connecting':
      return state.via === 'cache' ? 'cached hub' : 'via DPS'
    case 'reconnecting':
      return `attempt ${state.attempt}`
    case 'waiting':
      return `retry in ${Math.max(0, Math.ceil((state.until - now) / 1000))} s`
    default:
      return ''
  }
}

const headlines: Record<AppError['code'], string> = {
  'bad-credentials': 'The key was refused. Check the group or device key and the device id.',
  'unknown-scope': 'The provisioning service does not know this ID scope.',
  throttled: 'The provisioning service is throttling registrations; the device will retry.',
  unreachable: 'Cannot reach the provisioning service or the hub.',
  'hub-refused': 'The hub refused the connection.',
  'bad-settings': 'The settings are not valid.',
  protocol: 'Something arrived that the device could not understand.',
  'id-conflict':
    'Another device or copy of this app is connected with the same device id; each connection replaces the other.',
  internal: 'Something went wrong inside the app.',
  'bad-request': 'The app refused a request.',
  'not-found': 'Not found.',
  unavailable: 'Not available right now.',
}

export function plainError(e: AppError): { headline: string; detail: string } {
  return { headline: headlines[e.code] ?? 'Error', detail: e.message }
}

export function json(v: unknown, max = 200): string {
  let s: string
  try {
    s = typeof v === 'string' ? JSON.stringify(v) : (JSON.stringify(v) ?? String(v))
  } catch {
    s = String(v)
  }
  return s.length > max ? s.slice(0, max) + '…' : s
}

/** Copies text; falls back to a hidden textarea where the async clipboard is refused. */
export async function copyText(text: string): Promise<boolean> {
  try {
    await navigator.clipboard.writeText(text)
    return true
  } catch {
    const ta = document.createElement('textarea')
    ta.value = text
    ta.setAttribute('readonly', '')
    ta.className = 'offscreen'
    document.body.appendChild(ta)
    ta.select()
    const ok = document.execCommand('copy')
    ta.remove()
    return ok
  }
}
