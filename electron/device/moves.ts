import type { Counters, MoveFigure } from '../../shared/domain'
import type { MoveKind, TimelineCause } from '../../shared/timeline'

interface Pending {
  kind: MoveKind
  from: string
  to: string
  lostAt: number
}

/**
 * Failovers and failbacks, measured two ways: hub lost → connected on the new hub (the move
 * itself, known the moment the link is up, whatever the device sends) and hub lost → first
 * message acknowledged there (what a user of the data sees, when the device sends anything).
 */
export class Moves {
  private pending: Pending | null = null

  constructor(
    private readonly counters: Counters,
    private readonly now: () => number = Date.now,
  ) {}

  /**
   * A link is up on `hub`. A move when the last link was on another hub (a failback when this
   * is home), unless DPS just made this hub home (a re-homed device has not failed over).
   * `lostAt` is when the last link was lost (null after a deliberate stop: no figure then).
   */
  connected(
    hub: string,
    previous: string | null,
    home: string | null,
    lostAt: number | null,
    rehomed: boolean,
  ): { move: MoveKind | null; ms: number | null } {
    this.pending = null
    if (previous === null || previous === hub || rehomed) return { move: null, ms: null }
    const move: MoveKind = hub === home ? 'failback' : 'failover'
    this.counters[move === 'failover' ? 'failovers' : 'failbacks']++
    if (lostAt === null) return { move, ms: null }
    const at = this.now()
    const figure: MoveFigure = {
      at,
      from: previous,
      to: hub,
      connectedMs: at - lostAt,
      firstAckMs: null,
    }
    this.record(move, figure)
    this.pending = { kind: move, from: previous, to: hub, lostAt }
    return { move, ms: figure.connectedMs }
  }

  /** A message was acknowledged by `hub`: the first one after a move completes its figures. */
  acked(hub: string, what: 'telemetry' | 'reported'): TimelineCause | null {
    const p = this.pending
    if (!p || p.to !== hub) return null
    this.pending = null
    const ms = this.now() - p.lostAt
    const last = this.counters[p.kind === 'failover' ? 'lastFailover' : 'lastFailback']
    if (last) this.record(p.kind, { ...last, firstAckMs: ms })
    return { code: 'move-acked', move: p.kind, hub: p.to, from: p.from, ms, what }
  }

  /** The link went before anything was acknowledged on it: that move has no first-ack figure. */
  forget(): void {
    this.pending = null
  }

  private record(move: MoveKind, figure: MoveFigure): void {
    if (move === 'failover') {
      this.counters.lastFailover = figure
      this.counters.lastFailoverMs = figure.connectedMs
    } else {
      this.counters.lastFailback = figure
    }
  }
}
