import type { DeviceSession } from '../electron/device/index'
import type { TimelineEntry } from '../shared/domain'
import { since, stats, until } from './setup'

/**
 * One hub move of our engine, read off its timeline. `t0` is when the bench caused it (the
 * control call was made): detect = t0 → the link declared lost; connected = t0 → connected on the
 * new hub; firstAck = t0 → the first message acknowledged there. `engine` holds the engine's own
 * figures, which start at the loss (what the app's header shows).
 */
export interface MoveTimes {
  detectMs: number
  connectedMs: number
  firstAckMs: number
  engine: { connectedMs: number; firstAckMs: number }
}

const find = (entries: TimelineEntry[], hit: (e: TimelineEntry) => boolean) => entries.find(hit)

/** Waits for the move that starts at timeline mark `from` to be complete, and reads its times. */
export function nextMove(
  session: DeviceSession,
  from: number,
  t0: number,
  timeoutMs: number,
): Promise<MoveTimes> {
  return until(
    'a hub move with its first acknowledgement',
    () => {
      const span = since(session, from)
      const lost = find(span, (e) => e.state === 'lost')
      const connected = find(span, (e) => e.state === 'connected' && e.mark !== undefined)
      const acked = find(span, (e) => e.cause?.code === 'move-acked')
      if (!lost || !connected || !acked) return null
      return {
        detectMs: lost.at - t0,
        connectedMs: connected.at - t0,
        firstAckMs: acked.at - t0,
        engine: { connectedMs: connected.durationMs ?? -1, firstAckMs: acked.durationMs ?? -1 },
      }
    },
    timeoutMs,
  )
}

/** Median, min and max of each figure over several moves. */
export function moveStats(moves: MoveTimes[]) {
  const of = (f: (m: MoveTimes) => number) => stats(moves.map(f))
  return {
    detectMs: of((m) => m.detectMs),
    connectedMs: of((m) => m.connectedMs),
    firstAckMs: of((m) => m.firstAckMs),
    engineConnectedMs: of((m) => m.engine.connectedMs),
    engineFirstAckMs: of((m) => m.engine.firstAckMs),
  }
}
