import { describe, expect, it } from 'vitest'
import { defaultBackoff } from '../../../electron/device/backoff'
import {
  type PolicyConfig,
  type PolicyEvent,
  type PolicyState,
  type Step,
  decide,
  initialPolicyState,
  policyDefaults,
} from '../../../electron/device/reconnect-policy'

const config: PolicyConfig = {
  backoff: defaultBackoff,
  ...policyDefaults,
  useCachedHub: true,
}

/** Random 0: every backoff is its lower bound (half the ceiling), so waits are exact. */
const low = () => 0

function run(
  events: PolicyEvent[],
  opts: { state?: Partial<PolicyState>; cfg?: Partial<PolicyConfig>; start?: number } = {},
) {
  let state: PolicyState = { ...initialPolicyState(), ...opts.state }
  let now = opts.start ?? 1_000_000
  const out: { step: Step; conflict?: string }[] = []
  for (const e of events) {
    if (e.type === 'lived') now += e.ms
    if (e.type === 'lost') now += e.livedMs
    const d = decide(state, e, { now, random: low, config: { ...config, ...opts.cfg } })
    state = d.state
    out.push({ step: d.step, ...(d.conflict ? { conflict: d.conflict } : {}) })
  }
  return { state, steps: out.map((o) => o.step), conflicts: out.map((o) => o.conflict ?? null) }
}

/** A step in short: where it goes, and after how long. */
const brief = (s: Step) =>
  s.next === 'hub'
    ? `hub ${s.hub} (${s.via}, ${s.start}) after ${s.waitMs}${s.why ? ` for ${s.why.code}` : ''}`
    : s.next === 'dps'
      ? `dps (${s.after}) after ${s.waitMs}${s.why ? ` for ${s.why.code}` : ''}`
      : s.next

const A = 'hub-a:1'
const B = 'hub-b:1'
const refused5 = { kind: 'refused', connack: 5 } as const
const tcpRefused = { kind: 'unreachable', error: { code: 'ECONNREFUSED', message: 'x' } } as const
const closed = { kind: 'closed' } as const

describe('the reconnect policy, transition by transition', () => {
  const table: {
    name: string
    state?: Partial<PolicyState>
    cfg?: Partial<PolicyConfig>
    events: PolicyEvent[]
    expect: string
  }[] = [
    {
      name: 'a first start registers with DPS',
      events: [{ type: 'start' }],
      expect: 'dps (start) after 0',
    },
    {
      name: 'a start with a cached hub connects to it, without DPS',
      state: { cachedHub: A },
      events: [{ type: 'start' }],
      expect: `hub ${A} (cache, connect) after 0`,
    },
    {
      name: 'a start ignores the cache when told to (DPS every time)',
      state: { cachedHub: A },
      cfg: { useCachedHub: false },
      events: [{ type: 'start' }],
      expect: 'dps (start) after 0',
    },
    {
      name: 'a hub DPS named is tried at once',
      events: [{ type: 'start' }, { type: 'assigned', hub: A }],
      expect: `hub ${A} (dps, assigned) after 0`,
    },
    {
      name: 'a link a live hub closed: the cached hub at once, no DPS',
      events: [
        { type: 'assigned', hub: A },
        { type: 'connected', hub: A, via: 'dps' },
        { type: 'lost', hub: A, loss: closed, livedMs: 60_000 },
      ],
      expect: `hub ${A} (cache, loss) after 0`,
    },
    {
      name: 'a link reset by the hub: the cached hub at once too',
      events: [
        { type: 'connected', hub: A, via: 'dps' },
        {
          type: 'lost',
          hub: A,
          loss: { kind: 'broken', error: { code: 'ECONNRESET', message: 'x' } },
          livedMs: 60_000,
        },
      ],
      expect: `hub ${A} (cache, loss) after 0`,
    },
    {
      name: 'a link lost to keep-alive silence: DPS at once',
      events: [
        { type: 'connected', hub: A, via: 'dps' },
        { type: 'lost', hub: A, loss: { kind: 'silent', ms: 15_000 }, livedMs: 60_000 },
      ],
      expect: 'dps (silent) after 0',
    },
    {
      name: 'a twin request left unanswered: DPS at once',
      events: [
        { type: 'connected', hub: A, via: 'dps' },
        { type: 'lost', hub: A, loss: { kind: 'twin-timeout', ms: 10_000 }, livedMs: 60_000 },
      ],
      expect: 'dps (silent) after 0',
    },
    {
      name: "the user's Reconnect: the cached hub at once, whatever the history",
      state: { failures: 5 },
      events: [
        { type: 'connected', hub: A, via: 'dps' },
        { type: 'lost', hub: A, loss: { kind: 'asked' }, livedMs: 10 },
      ],
      expect: `hub ${A} (cache, loss) after 0`,
    },
    {
      name: 'the device closing its own link stops the loop',
      events: [
        { type: 'connected', hub: A, via: 'dps' },
        { type: 'lost', hub: A, loss: { kind: 'local' }, livedMs: 10 },
      ],
      expect: 'stop',
    },
    {
      name: 'a cached hub refusing the device (CONNACK 5): DPS at once',
      state: { cachedHub: A },
      events: [{ type: 'start' }, { type: 'hub-failed', hub: A, via: 'cache', problem: refused5 }],
      expect: 'dps (hub-failed) after 0',
    },
    {
      name: 'a cached hub refusing TCP: DPS at once, not three tries',
      state: { cachedHub: A },
      events: [
        { type: 'start' },
        { type: 'hub-failed', hub: A, via: 'cache', problem: tcpRefused },
      ],
      expect: 'dps (hub-failed) after 0',
    },
    {
      name: 'a silent cached hub (CONNECT timed out): DPS at once',
      state: { cachedHub: A },
      events: [
        { type: 'start' },
        { type: 'hub-failed', hub: A, via: 'cache', problem: { kind: 'timeout', ms: 10_000 } },
      ],
      expect: 'dps (hub-failed) after 0',
    },
    {
      name: 'DPS naming another hub after the cached one failed: that hub at once (a failover)',
      state: { cachedHub: A },
      events: [
        { type: 'start' },
        { type: 'hub-failed', hub: A, via: 'cache', problem: refused5 },
        { type: 'assigned', hub: B },
      ],
      expect: `hub ${B} (dps, assigned) after 0`,
    },
    {
      name: 'DPS naming the hub that just failed: back off, then try it',
      state: { cachedHub: A },
      events: [
        { type: 'start' },
        { type: 'hub-failed', hub: A, via: 'cache', problem: tcpRefused },
        { type: 'assigned', hub: A },
      ],
      // Random 0: the least wait DPS is given to notice (5 s), before the spread.
      expect: `hub ${A} (dps, assigned) after 5000 for dps-same-hub`,
    },
    {
      name: 'DPS naming the dead hub again, and it failing after the wait: DPS at once (one wait per round)',
      state: { cachedHub: A },
      events: [
        { type: 'start' },
        { type: 'hub-failed', hub: A, via: 'cache', problem: tcpRefused },
        { type: 'assigned', hub: A },
        { type: 'hub-failed', hub: A, via: 'dps', problem: tcpRefused },
      ],
      expect: 'dps (hub-failed) after 0',
    },
    {
      name: 'the hub DPS just named failing: back off, then try it again as the cached hub',
      events: [
        { type: 'start' },
        { type: 'assigned', hub: A },
        { type: 'hub-failed', hub: A, via: 'dps', problem: tcpRefused },
      ],
      expect: `hub ${A} (cache, wait) after 500 for hub-failed`,
    },
    {
      name: 'DPS unreachable: back off (exponentially), then DPS again',
      events: [
        { type: 'start' },
        { type: 'dps-failed', problem: { kind: 'timeout', ms: 30_000 }, fatal: false },
        { type: 'dps-failed', problem: { kind: 'timeout', ms: 30_000 }, fatal: false },
      ],
      expect: 'dps (wait) after 1000 for dps-failed',
    },
    {
      name: 'DPS throttling: its retry-after is honoured when longer than the backoff',
      events: [
        { type: 'start' },
        {
          type: 'dps-failed',
          problem: { kind: 'throttled', retryAfterMs: 7000 },
          fatal: false,
          retryAfterMs: 7000,
        },
      ],
      expect: 'dps (wait) after 7000 for dps-failed',
    },
    {
      name: 'DPS failing while a hub is cached: back off, then the cached hub first (it may be back)',
      state: { cachedHub: A },
      events: [
        { type: 'start' },
        { type: 'hub-failed', hub: A, via: 'cache', problem: tcpRefused },
        {
          type: 'dps-failed',
          problem: { kind: 'unreachable', error: { message: 'x' } },
          fatal: false,
        },
      ],
      expect: `hub ${A} (cache, wait) after 500 for dps-failed`,
    },
    {
      name: 'wrong credentials at DPS: stop',
      events: [
        { type: 'start' },
        { type: 'dps-failed', problem: { kind: 'unauthorized' }, fatal: true },
      ],
      expect: 'stop',
    },
    {
      name: 'a first short-lived link is retried at once',
      events: [
        { type: 'connected', hub: A, via: 'dps' },
        { type: 'lost', hub: A, loss: closed, livedMs: 200 },
      ],
      expect: `hub ${A} (cache, loss) after 0`,
    },
    {
      name: 'a second short-lived link in a row backs off like a failure',
      events: [
        { type: 'connected', hub: A, via: 'dps' },
        { type: 'lost', hub: A, loss: closed, livedMs: 200 },
        { type: 'connected', hub: A, via: 'cache' },
        { type: 'lost', hub: A, loss: closed, livedMs: 200 },
      ],
      expect: `hub ${A} (cache, loss) after 500 for short-link`,
    },
    {
      name: 'a link that lived long enough wipes the slate: its loss is retried at once',
      state: { failures: 6 },
      events: [
        { type: 'connected', hub: A, via: 'cache' },
        { type: 'lived', ms: 20_000 },
        { type: 'lost', hub: A, loss: closed, livedMs: 1 },
      ],
      expect: `hub ${A} (cache, loss) after 0`,
    },
    {
      name: 'a move to another hub is progress: a quick failback after a failover does not wait',
      events: [
        { type: 'connected', hub: A, via: 'dps' },
        { type: 'lost', hub: A, loss: closed, livedMs: 500 },
        { type: 'hub-failed', hub: A, via: 'cache', problem: refused5 },
        { type: 'assigned', hub: B },
        { type: 'connected', hub: B, via: 'dps' },
        { type: 'lost', hub: B, loss: closed, livedMs: 500 },
      ],
      expect: `hub ${B} (cache, loss) after 0`,
    },
  ]
  for (const row of table)
    it(row.name, () => {
      const { steps } = run(row.events, { state: row.state, cfg: row.cfg })
      expect(brief(steps.at(-1)!)).toBe(row.expect)
    })

  it('counts attempts: the cached hub, then DPS, each from 1 after a connection', () => {
    const { steps } = run(
      [
        { type: 'connected', hub: A, via: 'dps' },
        { type: 'lost', hub: A, loss: closed, livedMs: 60_000 },
        { type: 'hub-failed', hub: A, via: 'cache', problem: tcpRefused },
        { type: 'assigned', hub: A },
        { type: 'hub-failed', hub: A, via: 'dps', problem: tcpRefused },
      ],
      {},
    )
    expect(
      steps.map((s) => (s.next === 'hub' || s.next === 'dps' ? `${s.next} ${s.attempt}` : s.next)),
    ).toEqual(['stay', 'hub 1', 'dps 1', 'hub 2', 'dps 2'])
  })
})

describe('another client with our device id', () => {
  /** A hub that closes our link right after accepting it, and takes us straight back: a kick. */
  const kick = (livedMs: number): PolicyEvent[] => [
    { type: 'lost', hub: A, loss: closed, livedMs },
    { type: 'connected', hub: A, via: 'cache' },
  ]

  it('is recognised after three kicks within the window, and then costs a capped wait per reconnect', () => {
    const { steps, conflicts, state } = run([
      { type: 'connected', hub: A, via: 'dps' },
      ...kick(100),
      ...kick(100),
      ...kick(100),
      { type: 'lost', hub: A, loss: closed, livedMs: 100 },
    ])
    expect(conflicts.filter(Boolean)).toEqual(['started'])
    expect(conflicts.indexOf('started')).toBe(6)
    expect(state.conflict).toBe(true)
    // Random 0 gives the lower bound: half the 60 s cap.
    expect(brief(steps.at(-1)!)).toBe(`hub ${A} (cache, loss) after 30000 for id-conflict`)
  })

  it('kicks spread out past the window are not a conflict (a hub that restarts now and then)', () => {
    const { conflicts } = run([
      { type: 'connected', hub: A, via: 'dps' },
      ...kick(6 * 60_000),
      ...kick(6 * 60_000),
      ...kick(6 * 60_000),
    ])
    expect(conflicts.filter(Boolean)).toEqual([])
  })

  it('a hub that resets the connection and takes us straight back is a restart, not a kick', () => {
    const reset = { kind: 'broken', error: { code: 'ECONNRESET', message: 'reset' } } as const
    const restart: PolicyEvent[] = [
      { type: 'lost', hub: A, loss: reset, livedMs: 30_000 },
      { type: 'connected', hub: A, via: 'cache' },
    ]
    const { conflicts, state } = run([
      { type: 'connected', hub: A, via: 'dps' },
      ...restart,
      ...restart,
      ...restart,
      ...restart,
    ])
    expect(conflicts.filter(Boolean)).toEqual([])
    expect(state.kicks).toEqual([])
  })

  it('a hub that refuses us after the close is no kick (a failover, not a second client)', () => {
    const { state } = run([
      { type: 'connected', hub: A, via: 'dps' },
      { type: 'lost', hub: A, loss: closed, livedMs: 100 },
      { type: 'hub-failed', hub: A, via: 'cache', problem: refused5 },
      { type: 'assigned', hub: B },
      { type: 'connected', hub: B, via: 'dps' },
    ])
    expect(state.kicks).toEqual([])
  })

  it('is over once a link has lived well past the capped retry of any other client', () => {
    const { conflicts, state } = run([
      { type: 'connected', hub: A, via: 'dps' },
      ...kick(100),
      ...kick(100),
      ...kick(100),
      { type: 'lived', ms: 20_000 },
      { type: 'lived', ms: 140_000 },
    ])
    expect(conflicts.filter(Boolean)).toEqual(['started', 'over'])
    expect(state).toMatchObject({ conflict: false, kicks: [], failures: 0 })
  })
})

describe('the bound: two clients fighting over one id, under the default policy', () => {
  /**
   * Two policies sharing one hub on a simulated clock: whichever connects kicks the other
   * off. Each reconnect takes `connectMs`. Returns each client's connection times.
   */
  function fight(minutes: number, random: () => number) {
    const connectMs = 50
    const clients = [0, 1].map(() => ({
      state: { ...initialPolicyState(), cachedHub: A } as PolicyState,
      connectedAt: null as number | null,
      nextAt: 0 as number | null,
      reconnects: [] as number[],
    }))
    const env = (now: number) => ({ now, random, config })
    let now = 0
    const end = minutes * 60_000
    while (now < end) {
      // The next client due to connect does, and kicks the one on the hub.
      const due = clients
        .map((c, i) => ({ c, i }))
        .filter(({ c }) => c.nextAt !== null)
        .sort((x, y) => x.c.nextAt! - y.c.nextAt!)[0]
      if (!due) break
      now = Math.max(now, due.c.nextAt!) + connectMs
      if (now >= end) break
      const other = clients[1 - due.i]!
      if (other.connectedAt !== null) {
        const d = decide(
          other.state,
          { type: 'lost', hub: A, loss: closed, livedMs: now - other.connectedAt },
          env(now),
        )
        other.state = d.state
        other.connectedAt = null
        other.nextAt = d.step.next === 'hub' ? now + d.step.waitMs : null
      }
      const me = due.c
      if (me.state.lastHub !== null) me.reconnects.push(now)
      me.state = decide(me.state, { type: 'connected', hub: A, via: 'cache' }, env(now)).state
      me.connectedAt = now
      me.nextAt = null
      // A link that lives long enough is told so (the session's timers).
      for (const ms of [config.healthyLinkMs])
        if (other.nextAt === null || other.nextAt - now > ms)
          me.state = decide(me.state, { type: 'lived', ms }, env(now + ms)).state
    }
    return clients.map((c) => c.reconnects)
  }

  const perMinute = (times: number[], minute: number) =>
    times.filter((t) => t >= minute * 60_000 && t < (minute + 1) * 60_000).length

  for (const [name, random] of [
    ['shortest waits', () => 0],
    ['longest waits', () => 0.999],
    ['seeded jitter', seeded(7)],
  ] as const)
    it(`at most a handful of reconnects per client per minute (${name})`, () => {
      const clients = fight(10, random)
      for (const times of clients) {
        expect(perMinute(times, 0)).toBeLessThanOrEqual(6)
        for (let m = 1; m < 10; m++) expect(perMinute(times, m)).toBeLessThanOrEqual(3)
      }
    })
})

/** A small deterministic random source (mulberry32). */
function seeded(seed: number): () => number {
  let a = seed
  return () => {
    a = (a + 0x6d2b79f5) | 0
    let t = Math.imul(a ^ (a >>> 15), 1 | a)
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296
  }
}

describe('while DPS still names a hub that is gone', () => {
  /** One round: DPS names A again, A (tried after the wait) refuses TCP, so DPS is asked at once. */
  function outage(rounds: number, spacingMs: number) {
    let state: PolicyState = { ...initialPolicyState(), cachedHub: A, lastHub: A }
    let now = 1_000_000
    const waits: number[] = []
    const step = (e: PolicyEvent) => {
      const d = decide(state, e, { now, random: low, config })
      state = d.state
      return d.step
    }
    step({
      type: 'lost',
      hub: A,
      loss: { kind: 'broken', error: { code: 'ECONNRESET', message: 'x' } },
      livedMs: 60_000,
    })
    step({ type: 'hub-failed', hub: A, via: 'cache', problem: tcpRefused })
    for (let i = 0; i < rounds; i++) {
      now += spacingMs
      const s = step({ type: 'assigned', hub: A })
      if (s.next === 'hub') waits.push(s.waitMs)
      step({ type: 'hub-failed', hub: A, via: 'dps', problem: tcpRefused })
    }
    return waits
  }

  it('gives DPS at least 5 s to notice, early in the outage, never polling it every few seconds', () => {
    const waits = outage(8, 3000)
    // Random 0 gives the least wait: DPS's quota is not spent on the same answer.
    expect(waits).toEqual(Array(8).fill(5000))
  })

  it('spreads those waits over a window that doubles each time DPS names the dead hub again', () => {
    const top = () => 0.999999
    let state: PolicyState = { ...initialPolicyState(), cachedHub: A, lastHub: A, failedHub: A }
    const waits: number[] = []
    for (let i = 0; i < 4; i++) {
      const d = decide(state, { type: 'assigned', hub: A }, { now: 1_000_000, random: top, config })
      state = { ...d.state, failedHub: A }
      if (d.step.next === 'hub') waits.push(d.step.waitMs)
    }
    // 5 s + up to 10, 20, 40, then the backoff's cap (60 s).
    expect(waits).toEqual([15_000, 25_000, 45_000, 65_000])
  })

  it('falls back to the normal backoff when the outage lasts (DPS not told, a long loss)', () => {
    const waits = outage(12, 30_000)
    expect(Math.max(...waits)).toBeGreaterThan(4000)
  })
})

describe('DPS quota and errors', () => {
  const throttled = (retryAfterMs?: number): PolicyEvent => ({
    type: 'dps-failed',
    problem: { kind: 'throttled', ...(retryAfterMs !== undefined ? { retryAfterMs } : {}) },
    fatal: false,
    ...(retryAfterMs !== undefined ? { retryAfterMs } : {}),
  })

  function waitsWith(random: () => number, events: PolicyEvent[]) {
    let state: PolicyState = initialPolicyState()
    const out: number[] = []
    for (const e of events) {
      const d = decide(state, e, { now: 1_000_000, random, config })
      state = d.state
      if (d.step.next === 'dps' || d.step.next === 'hub') out.push(d.step.waitMs)
    }
    return { out, state }
  }

  it('honours a 429 retry-after exactly at the low end, and never comes back before it', () => {
    const { out, state } = waitsWith(low, [{ type: 'start' }, throttled(3000), throttled(3000)])
    expect(out.slice(1)).toEqual([3000, 3000])
    // Throttling is the quota, not a failure: the backoff for a dead hub does not grow with it.
    expect(state.failures).toBe(0)
    expect(state.throttles).toBe(2)
  })

  it('adds full jitter after a 429, doubling with each one in a row, up to 10 s', () => {
    const top = () => 0.999999
    const { out } = waitsWith(top, [
      { type: 'start' },
      throttled(2000),
      throttled(2000),
      throttled(2000),
      throttled(2000),
      throttled(2000),
    ])
    expect(out.slice(1)).toEqual([4000, 6000, 10_000, 12_000, 12_000])
  })

  it('spreads a throttled fleet over the window instead of bringing it back together', () => {
    const rng = seeded(7)
    const waits = Array.from({ length: 2000 }, () => {
      const d = decide(initialPolicyState(), throttled(2000), { now: 0, random: rng, config })
      return d.step.next === 'dps' ? d.step.waitMs : -1
    })
    expect(Math.min(...waits)).toBeGreaterThanOrEqual(2000)
    // Full jitter over [2 s, 4 s): each 200 ms slice gets about a tenth, none a crowd.
    const slices = Array(10).fill(0)
    for (const w of waits) slices[Math.min(9, Math.floor((w - 2000) / 200))]++
    expect(Math.max(...slices)).toBeLessThan(2000 / 10 + 60)
    expect(Math.min(...slices)).toBeGreaterThan(2000 / 10 - 60)
  })

  it('waits at least 5 s after DPS answers 5xx', () => {
    const { out } = waitsWith(low, [
      { type: 'start' },
      { type: 'dps-failed', problem: { kind: 'status', status: 503 }, fatal: false },
    ])
    expect(out[1]).toBe(5000)
  })
})
