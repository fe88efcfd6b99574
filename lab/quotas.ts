import { z } from 'zod'
import { QuotaCounter, type QuotaCount } from './quota-counter'
import { retryAfterSec, TokenBucket, WindowedCounter, type Clock } from './quota'
import type { HubName } from './types'

// The lab's three quotas, as IoT Central's DPS and an S1 IoT hub apply them, in one place: their
// settings (options, flags, PUT /quotas), the limiters, and the counts GET /stats answers.

export interface QuotaSettings {
  /** DPS registrations per minute for the id scope; 0: no limit. */
  dpsRate: number
  /** Registrations DPS takes at once before the rate applies; null: 5 s worth of the rate. */
  dpsBurst: number | null
  /** Operation-status polls per device within any 10 s; 0: no limit. */
  pollLimit: number
  /** New connections per second per hub (as many at once); 0: no limit. */
  hubConnectRate: number
}

/**
 * IoT Central's published quotas: 200 registrations a minute per application (a standalone DPS
 * allows 1,000), 5 polls per 10 s per device, and an S1 hub's floor of 100 new connections a second.
 */
export const realQuotas: QuotaSettings = {
  dpsRate: 200,
  dpsBurst: null,
  pollLimit: 5,
  hubConnectRate: 100,
}

/** No limit anywhere: what private labs (tests, bench, the app on ephemeral ports) start with. */
export const noQuotas: QuotaSettings = {
  dpsRate: 0,
  dpsBurst: null,
  pollLimit: 0,
  hubConnectRate: 0,
}

export const pollWindowSec = 10

/**
 * Azure publishes per-minute rates, not a burst: the lab's choice is to let 5 seconds' worth of
 * the rate through at once (17 at 200/min), so a handful of devices starting together is not
 * throttled while a wave of them is.
 */
export const defaultBurst = (ratePerMin: number) => Math.max(1, Math.ceil((ratePerMin * 5) / 60))

const count = (max: number) => z.number().int().min(0).max(max)
export const quotaPatch = z
  .object({
    dpsRate: count(1_000_000).optional(),
    dpsBurst: z.union([count(1_000_000).min(1), z.null()]).optional(),
    pollLimit: count(10_000).optional(),
    hubConnectRate: count(1_000_000).optional(),
  })
  .strict()
export type QuotaPatch = z.infer<typeof quotaPatch>

/** The settings as given, or a RangeError saying in words what is wrong with them. */
function checked(patch: unknown): QuotaPatch {
  const r = quotaPatch.safeParse(patch)
  if (r.success) return r.data
  throw new RangeError(
    'quotas: ' +
      r.error.issues
        .map((i) => (i.path.length ? `${i.path.join('.')}: ` : '') + i.message)
        .join('; '),
  )
}

export interface QuotaView extends QuotaSettings {
  /** The burst in force (null only while the DPS rate is off). */
  dpsBurstInForce: number | null
  pollWindowSec: number
  /** A hub takes this many new connections at once: one second's worth of its rate. */
  hubConnectBurst: number | null
}

export interface QuotaStats {
  at: string
  quotas: QuotaView
  dpsRegistrations: QuotaCount
  dpsPolls: QuotaCount
  hubConnects: Record<HubName, QuotaCount>
}

/** Why a request waits, and how long DPS tells it to (whole seconds, at least 1). */
export type Admission = { ok: true } | { ok: false; retryAfterSec: number; why: string }

export class Quotas {
  private settings: QuotaSettings
  private registrations: TokenBucket | null = null
  private readonly polls: WindowedCounter
  private readonly connects: Record<HubName, TokenBucket | null> = { a: null, b: null }
  readonly counts: {
    registrations: QuotaCounter
    polls: QuotaCounter
    connects: Record<HubName, QuotaCounter>
  }

  constructor(
    initial: Partial<QuotaSettings> = {},
    private readonly now: Clock = Date.now,
  ) {
    this.settings = { ...realQuotas, ...checked(initial) }
    this.polls = new WindowedCounter(1, pollWindowSec * 1000, 100_000, now)
    this.counts = {
      registrations: new QuotaCounter(now),
      polls: new QuotaCounter(now),
      connects: { a: new QuotaCounter(now), b: new QuotaCounter(now) },
    }
    this.apply()
  }

  view(): QuotaView {
    const s = this.settings
    return {
      ...s,
      dpsBurstInForce: s.dpsRate === 0 ? null : (s.dpsBurst ?? defaultBurst(s.dpsRate)),
      pollWindowSec,
      hubConnectBurst: s.hubConnectRate === 0 ? null : s.hubConnectRate,
    }
  }

  /** Changes some settings at run time; a limiter keeps what it has saved up, within its new bounds. */
  set(patch: QuotaPatch): QuotaView {
    this.settings = { ...this.settings, ...checked(patch) }
    this.apply()
    return this.view()
  }

  /** A registration request DPS would take: it is let in and counted, or refused and counted. */
  admitRegistration(): Admission {
    const v = this.registrations?.take() ?? { ok: true as const }
    if (v.ok) {
      this.counts.registrations.accept()
      return v
    }
    this.counts.registrations.throttle()
    return {
      ok: false,
      retryAfterSec: retryAfterSec(v.retryAfterMs),
      why: `at most ${this.settings.dpsRate} registrations per minute for this id scope`,
    }
  }

  admitPoll(registrationId: string): Admission {
    const v = this.settings.pollLimit === 0 ? { ok: true as const } : this.polls.hit(registrationId)
    if (v.ok) {
      this.counts.polls.accept()
      return v
    }
    this.counts.polls.throttle()
    return {
      ok: false,
      retryAfterSec: retryAfterSec(v.retryAfterMs),
      why: `at most ${this.settings.pollLimit} operation-status polls per ${pollWindowSec} s per device`,
    }
  }

  /** A new connection to `hub`: refused (and counted) past its rate; `connected` counts the ones it took. */
  admitConnect(hub: HubName): boolean {
    const v = this.connects[hub]?.take() ?? { ok: true }
    if (!v.ok) this.counts.connects[hub].throttle()
    return v.ok
  }

  connected(hub: HubName): void {
    this.counts.connects[hub].accept()
  }

  stats(): QuotaStats {
    return {
      at: new Date(this.now()).toISOString(),
      quotas: this.view(),
      dpsRegistrations: this.counts.registrations.view(),
      dpsPolls: this.counts.polls.view(),
      hubConnects: { a: this.counts.connects.a.view(), b: this.counts.connects.b.view() },
    }
  }

  private apply(): void {
    const s = this.settings
    const now = this.now
    this.registrations = bucket(this.registrations, s.dpsRate / 60, this.view().dpsBurstInForce)
    if (s.pollLimit > 0) this.polls.setLimit(s.pollLimit)
    for (const hub of ['a', 'b'] as const)
      this.connects[hub] = bucket(this.connects[hub], s.hubConnectRate, s.hubConnectRate)

    function bucket(
      current: TokenBucket | null,
      ratePerSec: number,
      capacity: number | null,
    ): TokenBucket | null {
      if (ratePerSec === 0 || capacity === null) return null
      if (!current) return new TokenBucket(ratePerSec, capacity, now)
      current.reconfigure(ratePerSec, capacity)
      return current
    }
  }
}
