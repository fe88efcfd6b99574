// Why the device did what it did, as data (a code and its parameters), and the one place that
// puts it into words. The engine records causes; the timeline, the banner, exports and tests
// read them; only this file knows the sentences.
import type { AppError } from './domain'

/** A socket or TLS error as Node reports it. */
export interface SocketError {
  code?: string
  message: string
}

/** Why a hub CONNECT (or the subscriptions right after it) failed. */
export type HubProblem =
  | { kind: 'refused'; connack: number }
  | { kind: 'timeout'; ms: number }
  | { kind: 'subscribe-timeout'; ms: number }
  | { kind: 'unreachable'; error: SocketError }

/** Why a link that was up ended. */
export type LinkLoss =
  | { kind: 'closed' }
  | { kind: 'silent'; ms: number }
  | { kind: 'broken'; error: SocketError }
  | { kind: 'twin-timeout'; ms: number }
  | { kind: 'send-failed'; detail: string }
  | { kind: 'sdk-fault'; detail: string }
  | { kind: 'asked' }
  | { kind: 'local' }

/** Why a DPS registration did not end in an assignment. */
export type DpsProblem =
  | { kind: 'throttled'; retryAfterMs?: number }
  | { kind: 'status'; status: number }
  | { kind: 'unauthorized'; detail?: string }
  | { kind: 'unknown-scope'; detail?: string }
  | { kind: 'bad-request'; detail?: string }
  | { kind: 'not-assigned'; status: string }
  | { kind: 'no-hub' }
  /** DPS named something that cannot be connected to (clipped, as said). */
  | { kind: 'bad-hub'; hub: string }
  | { kind: 'refused'; connack: number }
  | { kind: 'unreachable'; error: SocketError }
  | { kind: 'timeout'; ms: number }
  | { kind: 'dropped'; detail: string }

export type MoveKind = 'failover' | 'failback'

/** What made the engine wait before its next attempt. */
export type WaitReason =
  | { code: 'hub-failed'; hub: string; problem: HubProblem }
  | { code: 'dps-failed'; problem: DpsProblem }
  | { code: 'dps-same-hub'; hub: string }
  | { code: 'short-link'; hub: string; livedMs: number; streak: number }
  | { code: 'id-conflict'; hub: string }

export type TimelineCause =
  /** Registering with DPS: the first time, or again after a wait. */
  | { code: 'dps-register'; host: string }
  /** Registering with DPS because the cached hub would not take the device. */
  | { code: 'dps-after-hub'; hub: string; problem: HubProblem }
  /** Registering with DPS at once because the hub went silent (no point trying it again). */
  | { code: 'dps-after-loss'; hub: string; loss: LinkLoss }
  | {
      code: 'dps-assigned'
      hub: string
      /** The hub the device was last on, when DPS named another. */
      previous: string | null
      substatus: string | null
    }
  /** Connecting to the hub it was last assigned, without DPS. */
  | { code: 'hub-try'; hub: string; attempt: number; after: 'connect' | 'loss' | 'wait' }
  | {
      code: 'connected'
      hub: string
      via: 'dps' | 'cache'
      home: boolean
      move: MoveKind | null
      from: string | null
      /** For a move: hub lost → connected here. */
      ms: number | null
    }
  /** The first message acknowledged on the hub a move went to. */
  | {
      code: 'move-acked'
      move: MoveKind
      hub: string
      from: string
      ms: number
      what: 'telemetry' | 'reported'
    }
  | { code: 'lost'; hub: string; loss: LinkLoss; livedMs: number }
  | { code: 'wait'; ms: number; why: WaitReason }
  | { code: 'id-conflict'; deviceId: string; hub: string; kicks: number; windowMs: number }
  | { code: 'id-conflict-over'; deviceId: string }
  | { code: 'token-renewed'; hub: string; validSec: number }
  | { code: 'disconnecting'; flushMs: number | null }
  | { code: 'disconnected'; unsent: number }
  | { code: 'failed'; error: AppError }
  /** Something failed outside any operation; the shell recorded it and the session started over. */
  | { code: 'fault'; detail: string }
  /** Lines of the outbox journal found unreadable at start (hand-edited, a bad disk): skipped. */
  | { code: 'outbox-unreadable'; lines: number; kept: number }

/** Names a hub host for people: "hub A" where the lab's labels are known, else the host. */
export type HubNamer = (host: string) => string

export const hubNamer =
  (labels: Record<string, string> = {}): HubNamer =>
  (host) => {
    const label = Object.hasOwn(labels, host) ? labels[host] : undefined
    return label ? `hub ${label}` : host
  }

const seconds = (ms: number, digits = 1) => `${(ms / 1000).toFixed(digits)} s`

const connackText: Record<number, string> = {
  1: 'unacceptable protocol version',
  2: 'client id rejected',
  3: 'server unavailable',
  4: 'bad user name or password',
  5: 'not authorized',
}

export function describeConnack(code: number): string {
  return `CONNACK ${code}, ${connackText[code] ?? 'refused'}`
}

/** Socket and TLS error codes in words a user can act on. */
export function describeSocketError(e: SocketError): string {
  const code = e.code ?? ''
  switch (code) {
    case 'ECONNREFUSED':
      return 'nothing is listening there (ECONNREFUSED)'
    case 'ENOTFOUND':
    case 'EAI_AGAIN':
      return `the host name does not resolve (${code})`
    case 'ECONNRESET':
      return 'the connection was reset (ECONNRESET)'
    case 'EPIPE':
      return 'the other end had already closed it (EPIPE)'
    case 'ETIMEDOUT':
    case 'EHOSTUNREACH':
    case 'ENETUNREACH':
      return `the network cannot reach it (${code})`
  }
  if (/CERT|SELF_SIGNED|ALTNAME|UNABLE_TO_VERIFY|ERR_TLS|ERR_SSL/.test(code))
    return `TLS failed: ${e.message} (${code})`
  return code ? `${e.message} (${code})` : e.message
}

export function describeHubProblem(p: HubProblem): string {
  switch (p.kind) {
    case 'refused':
      return describeConnack(p.connack)
    case 'timeout':
      return `no answer to CONNECT within ${seconds(p.ms)}`
    case 'subscribe-timeout':
      return `the hub did not confirm the subscriptions within ${seconds(p.ms)}`
    case 'unreachable':
      return describeSocketError(p.error)
  }
}

export function describeLoss(l: LinkLoss): string {
  switch (l.kind) {
    case 'closed':
      return 'the hub closed the connection'
    case 'silent':
      return `no answer for ${seconds(l.ms)} (keep-alive)`
    case 'broken':
      return `the connection broke: ${describeSocketError(l.error)}`
    case 'twin-timeout':
      return `the hub did not answer a twin request within ${seconds(l.ms)}`
    case 'send-failed':
      return `sending failed: ${l.detail}`
    case 'sdk-fault':
      return `the device SDK failed: ${l.detail}`
    case 'asked':
      return 'closed to reconnect, as asked'
    case 'local':
      return 'closed by the device'
  }
}

export function describeDpsProblem(p: DpsProblem): string {
  const detail = (d?: string) => (d ? `: ${d}` : '')
  switch (p.kind) {
    case 'throttled':
      return `DPS is throttling registrations (429)${p.retryAfterMs ? `; it asks to retry after ${p.retryAfterMs / 1000} s` : ''}`
    case 'status':
      return `DPS answered ${p.status}`
    case 'unauthorized':
      return `DPS rejected the device's credentials (401)${detail(p.detail)}`
    case 'unknown-scope':
      return `DPS does not know this id scope or registration (404)${detail(p.detail)}`
    case 'bad-request':
      return `DPS rejected the registration request (400)${detail(p.detail)}`
    case 'not-assigned':
      return `DPS did not assign a hub (${p.status})`
    case 'no-hub':
      return 'DPS answered without naming a hub'
    case 'bad-hub':
      return `DPS named a hub that is not a host name (${JSON.stringify(p.hub)})`
    case 'refused':
      return `DPS refused the connection (${describeConnack(p.connack)})`
    case 'unreachable':
      return `cannot reach DPS: ${describeSocketError(p.error)}`
    case 'timeout':
      return `DPS did not assign a hub within ${seconds(p.ms)}`
    case 'dropped':
      return `DPS dropped the connection during the handshake (${p.detail})`
  }
}

function describeWait(w: WaitReason, name: HubNamer): string {
  switch (w.code) {
    case 'hub-failed':
      return `${name(w.hub)}: ${describeHubProblem(w.problem)}`
    case 'dps-failed':
      return describeDpsProblem(w.problem)
    case 'dps-same-hub':
      return `DPS named ${name(w.hub)} again, which just failed`
    case 'short-link':
      return `the connection to ${name(w.hub)} lasted only ${seconds(w.livedMs)} (${w.streak} short-lived in a row)`
    case 'id-conflict':
      return `another client is using this device id on ${name(w.hub)}`
  }
}

/** The one sentence for a timeline entry. */
export function describeCause(c: TimelineCause, name: HubNamer = hubNamer()): string {
  switch (c.code) {
    case 'dps-register':
      return `registering with DPS at ${c.host}`
    case 'dps-after-hub':
      return `${name(c.hub)} ${c.problem.kind === 'refused' ? 'refused the device' : c.problem.kind === 'unreachable' ? 'is unreachable' : 'did not answer'} (${describeHubProblem(c.problem)}); asking DPS`
    case 'dps-after-loss':
      return `${name(c.hub)} went silent: ${describeLoss(c.loss)}; asking DPS at once`
    case 'dps-assigned':
      return `DPS assigned ${name(c.hub)}${c.previous ? ` instead of ${name(c.previous)}` : ''}${c.substatus ? ` (${c.substatus})` : ''}`
    case 'hub-try':
      return c.after === 'connect'
        ? `connecting to ${name(c.hub)}, the hub it was last assigned`
        : `trying ${name(c.hub)} again, the hub it was last assigned (attempt ${c.attempt})`
    case 'connected':
      if (c.move === 'failover')
        return `connected to ${name(c.hub)}: failed over from ${name(c.from ?? '?')}${c.ms !== null ? ` in ${seconds(c.ms, 2)}` : ''}`
      if (c.move === 'failback')
        return `connected to ${name(c.hub)}: failed back to the home hub from ${name(c.from ?? '?')}${c.ms !== null ? ` in ${seconds(c.ms, 2)}` : ''}`
      if (c.via === 'cache') return `reconnected to ${name(c.hub)} without asking DPS`
      return `connected to ${name(c.hub)}${c.home ? ' (home hub)' : ''}`
    case 'move-acked':
      return `${c.move}: first ${c.what === 'telemetry' ? 'telemetry' : 'reported-property update'} acknowledged by ${name(c.hub)} ${seconds(c.ms, 2)} after ${name(c.from)} was lost`
    case 'lost':
      return `${name(c.hub)}: ${describeLoss(c.loss)}`
    case 'wait':
      return `${describeWait(c.why, name)}; next try in ${seconds(c.ms)}`
    case 'id-conflict':
      return `another client seems to be connected as ${c.deviceId}: ${name(c.hub)} closed this connection right after accepting it ${c.kicks} times within ${Math.round(c.windowMs / 60_000)} min (a hub keeps one connection per device id). Backing off; close the other copy or give one of them another device id`
    case 'id-conflict-over':
      return `no sign of another client connected as ${c.deviceId} any more`
    case 'token-renewed':
      return `renewed its token for ${name(c.hub)} (valid ${c.validSec} s) without dropping the link`
    case 'disconnecting':
      return c.flushMs === null
        ? 'stopping'
        : `flushing the outbox (up to ${c.flushMs / 1000} s), then closing`
    case 'disconnected':
      return c.unsent
        ? `disconnected; ${c.unsent} unsent item(s) kept in the outbox for next time`
        : 'disconnected cleanly; nothing left to send'
    case 'failed':
      return c.error.message
    case 'fault':
      return `recovered from an unexpected fault (${c.detail}); starting the connection over`
    case 'outbox-unreadable':
      return `the outbox journal had ${c.lines} unreadable line(s), skipped; the ${c.kept} readable item(s) are kept and will be sent`
  }
}
