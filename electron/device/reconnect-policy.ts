import type { DpsProblem, HubProblem, LinkLoss, WaitReason } from '../../shared/timeline'
import { type BackoffPolicy, backoffDelay } from './backoff'

/**
 * The reconnection policy, as a pure function: the session reports what happened (an event),
 * the policy answers what to do next (a step) and how its memory changes. Time and randomness
 * come in from outside, so every transition is testable with a fake clock.
 *
 * What it decides from:
 * - a link that a live hub dropped (closed, reset) → the cached hub first, no DPS call;
 * - a cached hub that refuses (CONNACK), refuses TCP or stays silent, or a link lost to
 *   silence (keep-alive, unanswered twin request) → DPS at once: a dead hub costs no more than
 *   DPS's own wait;
 * - DPS naming the hub that just failed, or a hub DPS named failing → back off, then retry it;
 * - links that die young count as failures (backoff grows), so two clients sharing one device
 *   id cannot storm; a hub that keeps closing the link and taking the device straight back,
 *   several times in a while, is another client with our id: say so and back off to the cap.
 */

export interface PolicyConfig {
  backoff: BackoffPolicy
  /** A link that lived this long was healthy: the failures before it are forgotten. */
  healthyLinkMs: number
  /** This many "closed, then accepted again at once" within the window mean another client. */
  conflictKicks: number
  conflictWindowMs: number
  /** Try the last assigned hub before DPS (false: DPS every time, as the reference samples do). */
  useCachedHub: boolean
  /**
   * While DPS still names a hub that is gone, the device waits at least `sameHubMinMs` plus full
   * jitter over `sameHubSpreadMs` (doubling each time DPS names it again) before the next try,
   * for the first `sameHubFastForMs` of the outage; past that the normal backoff takes over.
   * DPS needs seconds to notice a dead hub, and every registration counts against its quota
   * (IoT Central: 200 a minute for the whole application): a fleet that asked every few seconds
   * would spend the quota on answers naming the dead hub, and its recovery would wait for it.
   */
  sameHubMinMs: number
  sameHubSpreadMs: number
  sameHubFastForMs: number
  /**
   * DPS throttled the device (429): its retry-after, plus full jitter over up to this (doubling
   * per 429 in a row from the retry-after), so a throttled fleet spreads over the window instead
   * of coming back together.
   */
  throttleSpreadMaxMs: number
  /** DPS answered 5xx: at least this long before it is asked again (DPS's guidance). */
  dpsErrorMinMs: number
}

export const policyDefaults = {
  healthyLinkMs: 20_000,
  conflictKicks: 3,
  conflictWindowMs: 10 * 60_000,
  sameHubMinMs: 5_000,
  sameHubSpreadMs: 10_000,
  sameHubFastForMs: 3 * 60_000,
  // Wide enough to spread a fleet, short enough that the last devices of a wave do not sit out
  // tokens DPS has to give (simulated and benchmarked: p100 of the wave against its floor).
  throttleSpreadMaxMs: 10_000,
  dpsErrorMinMs: 5_000,
} as const

const maxThrottleWaitMs = 600_000

export interface PolicyState {
  /** The hub DPS last named (and the device last used). */
  cachedHub: string | null
  /** Failed rounds and short-lived links since the last healthy link: drives the backoff. */
  failures: number
  /** The hub of the last link, to tell a move (progress) from the same hub again. */
  lastHub: string | null
  /** The hub that failed in the round under way: DPS naming it again is no way out. */
  failedHub: string | null
  /** A hub DPS named again after it failed, tried after a wait: if it fails again, DPS at once. */
  retriedHub: string | null
  /** A hub that closed our link: taking us straight back confirms a kick. */
  kickedBy: string | null
  /** When kicks were confirmed, within the window. */
  kicks: number[]
  conflict: boolean
  /** Cached-hub tries since the last connection (shown as the attempt number). */
  hubAttempts: number
  /** DPS registrations since the last connection. */
  dpsAttempts: number
  /** When the device lost its last link (null while connected): how long this outage has lasted. */
  lostAt: number | null
  /** Times in a row DPS named the hub that had just failed, and throttled the device. */
  sameHub: number
  throttles: number
}

export const initialPolicyState = (): PolicyState => ({
  cachedHub: null,
  failures: 0,
  lastHub: null,
  failedHub: null,
  retriedHub: null,
  kickedBy: null,
  kicks: [],
  conflict: false,
  hubAttempts: 0,
  dpsAttempts: 0,
  lostAt: null,
  sameHub: 0,
  throttles: 0,
})

export type PolicyEvent =
  /** The user's Connect (or the shell starting the session). */
  | { type: 'start' }
  | { type: 'connected'; hub: string; via: 'cache' | 'dps' }
  /** The link up now has lived `ms`. */
  | { type: 'lived'; ms: number }
  | { type: 'lost'; hub: string; loss: LinkLoss; livedMs: number }
  | { type: 'hub-failed'; hub: string; via: 'cache' | 'dps'; problem: HubProblem }
  | { type: 'assigned'; hub: string }
  | { type: 'dps-failed'; problem: DpsProblem; fatal: boolean; retryAfterMs?: number }

/** Why the next step starts; the session words it on the timeline. */
export type HubStart = 'connect' | 'loss' | 'wait' | 'assigned'
export type DpsStart =
  | { after: 'start' | 'wait' }
  | { after: 'hub-failed'; hub: string; problem: HubProblem }
  | { after: 'silent'; hub: string; loss: LinkLoss }

export type Step =
  | {
      next: 'hub'
      hub: string
      /** 'dps': the hub DPS just named; 'cache': the one it named before. */
      via: 'cache' | 'dps'
      start: HubStart
      attempt: number
      waitMs: number
      why?: WaitReason
    }
  | ({ next: 'dps'; attempt: number; waitMs: number; why?: WaitReason } & DpsStart)
  /** Keep serving the link (or stay stopped): nothing to do. */
  | { next: 'stay' }
  | { next: 'stop' }

export interface Decision {
  state: PolicyState
  step: Step
  /** The conflict over our device id began (or ended) with this event. */
  conflict?: 'started' | 'over'
}

export interface PolicyEnv {
  now: number
  random: () => number
  config: PolicyConfig
}

/** A link living this long in a conflict shows the other client has gone: its retries are capped. */
export const conflictClearMs = (c: PolicyConfig) => 2 * c.backoff.maxMs + c.healthyLinkMs

/** Losses that say the hub is silent: trying it again first would only add its timeout. */
const silent = (loss: LinkLoss) => loss.kind === 'silent' || loss.kind === 'twin-timeout'
/** Losses a hub that is still alive causes: it closed or reset our connection. */
const droppedByHub = (loss: LinkLoss) => loss.kind === 'closed' || loss.kind === 'broken'

export function decide(state: PolicyState, event: PolicyEvent, env: PolicyEnv): Decision {
  const s: PolicyState = {
    ...state,
    kicks: state.kicks.filter((t) => env.now - t < env.config.conflictWindowMs),
  }
  const { config } = env
  const delay = (attempt: number) => backoffDelay(attempt, config.backoff, env.random)
  const cached = config.useCachedHub ? s.cachedHub : null

  const tryHub = (
    hub: string,
    via: 'cache' | 'dps',
    start: HubStart,
    waitMs = 0,
    why?: WaitReason,
  ): Step => ({
    next: 'hub',
    hub,
    via,
    start,
    attempt: via === 'cache' || waitMs > 0 ? ++s.hubAttempts : s.hubAttempts,
    waitMs,
    ...(why ? { why } : {}),
  })
  const askDps = (start: DpsStart, waitMs = 0, why?: WaitReason): Step => ({
    next: 'dps',
    ...start,
    attempt: ++s.dpsAttempts,
    waitMs,
    ...(why ? { why } : {}),
  })

  switch (event.type) {
    case 'start': {
      s.failures = 0
      s.failedHub = s.retriedHub = s.kickedBy = null
      s.hubAttempts = s.dpsAttempts = 0
      return {
        state: s,
        step: cached ? tryHub(cached, 'cache', 'connect') : askDps({ after: 'start' }),
      }
    }

    case 'connected': {
      // A move to another hub is progress, not a storm.
      if (s.lastHub !== null && s.lastHub !== event.hub) s.failures = 0
      if (event.via === 'cache' && s.kickedBy === event.hub) s.kicks.push(env.now)
      s.kickedBy = s.failedHub = s.retriedHub = null
      s.hubAttempts = s.dpsAttempts = 0
      s.sameHub = s.throttles = 0
      s.lostAt = null
      s.lastHub = s.cachedHub = event.hub
      const started = !s.conflict && s.kicks.length >= config.conflictKicks
      if (started) s.conflict = true
      return {
        state: s,
        step: { next: 'stay' },
        ...(started ? { conflict: 'started' as const } : {}),
      }
    }

    case 'lived': {
      if (event.ms >= config.healthyLinkMs) s.failures = 0
      const over = s.conflict && event.ms >= conflictClearMs(config)
      if (over) {
        s.conflict = false
        s.kicks = []
      }
      return { state: s, step: { next: 'stay' }, ...(over ? { conflict: 'over' as const } : {}) }
    }

    case 'lost': {
      const { hub, loss, livedMs } = event
      if (loss.kind === 'local') return { state: s, step: { next: 'stop' } }
      s.lostAt ??= env.now
      if (loss.kind === 'asked') {
        s.kickedBy = null
        return {
          state: s,
          step: cached ? tryHub(cached, 'cache', 'loss') : askDps({ after: 'start' }),
        }
      }
      s.failures = livedMs >= config.healthyLinkMs ? 0 : s.failures + 1
      // A takeover by another client with our id is a clean close by a hub that stays up; a hub
      // that restarts resets the connection ('broken') and, back at once, is no second client.
      s.kickedBy = loss.kind === 'closed' ? hub : null
      let waitMs = 0
      let why: WaitReason | undefined
      if (s.conflict && droppedByHub(loss)) {
        // The cap, with jitter: the other client keeps the hub for a while, and so may we.
        waitMs = delay(Number.MAX_SAFE_INTEGER)
        why = { code: 'id-conflict', hub }
      } else if (s.failures >= 2) {
        // The first short-lived link is retried at once; a second in a row is a pattern.
        waitMs = delay(s.failures - 1)
        why = { code: 'short-link', hub, livedMs, streak: s.failures }
      }
      if (silent(loss))
        return { state: s, step: askDps({ after: 'silent', hub, loss }, waitMs, why) }
      return {
        state: s,
        step: cached
          ? tryHub(cached, 'cache', 'loss', waitMs, why)
          : askDps({ after: 'start' }, waitMs, why),
      }
    }

    case 'hub-failed': {
      const { hub, problem } = event
      s.kickedBy = null
      s.failedHub = hub
      // The cached hub, or one DPS named again and already waited for: only DPS can say now.
      if (event.via === 'cache' || s.retriedHub === hub) {
        s.retriedHub = null
        return { state: s, step: askDps({ after: 'hub-failed', hub, problem }) }
      }
      // The hub DPS just named would not take the device: wait, then try it again (or DPS).
      s.failures++
      const why: WaitReason = { code: 'hub-failed', hub, problem }
      return {
        state: s,
        step: config.useCachedHub
          ? tryHub(hub, 'cache', 'wait', delay(s.failures), why)
          : askDps({ after: 'wait' }, delay(s.failures), why),
      }
    }

    case 'assigned': {
      const { hub } = event
      s.cachedHub = hub
      s.throttles = 0
      if (hub !== s.failedHub) return { state: s, step: tryHub(hub, 'dps', 'assigned') }
      // DPS does not know (yet) that this hub is gone: give it the time it needs to notice,
      // spread over a window, rather than spend its quota on the same answer every few seconds.
      s.failures++
      s.sameHub++
      s.failedHub = null
      s.retriedHub = hub
      const early = s.lostAt === null || env.now - s.lostAt < config.sameHubFastForMs
      const spread = Math.min(
        config.backoff.maxMs,
        config.sameHubSpreadMs * 2 ** Math.min(20, s.sameHub - 1),
      )
      const waitMs = early
        ? Math.round(config.sameHubMinMs + env.random() * spread)
        : delay(s.failures)
      return {
        state: s,
        step: tryHub(hub, 'dps', 'assigned', waitMs, { code: 'dps-same-hub', hub }),
      }
    }

    case 'dps-failed': {
      if (event.fatal) return { state: s, step: { next: 'stop' } }
      let waitMs: number
      if (event.problem.kind === 'throttled') {
        // Not a failure of the hub or of DPS: the quota. Its retry-after, then full jitter.
        s.throttles++
        const after = event.retryAfterMs ?? config.backoff.initialMs
        const spread = Math.min(
          config.throttleSpreadMaxMs,
          Math.max(after, config.backoff.initialMs) * 2 ** Math.min(20, s.throttles - 1),
        )
        // The jitter never takes a wait past ten minutes (the longest retry-after honoured).
        waitMs = Math.max(
          after,
          Math.min(maxThrottleWaitMs, Math.round(after + env.random() * spread)),
        )
      } else {
        s.failures++
        const floor = event.problem.kind === 'status' ? config.dpsErrorMinMs : 0
        waitMs = Math.max(event.retryAfterMs ?? 0, delay(s.failures), floor)
      }
      const why: WaitReason = { code: 'dps-failed', problem: event.problem }
      return {
        state: s,
        step: cached
          ? tryHub(cached, 'cache', 'wait', waitMs, why)
          : askDps({ after: 'wait' }, waitMs, why),
      }
    }
  }
}
