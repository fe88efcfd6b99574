import { UsageError } from './errors'
import { count, fleetLimits } from './limits'

// Past one machine: K runners that share nothing but the fleet's size each take a disjoint,
// deterministic slice of the device indices and a K-th of the budgets, and can be told to begin
// at the same instant. No coordinator: the arithmetic is the agreement.

/** Device indices `from` (inclusive) to `to` (exclusive). */
export interface IndexRange {
  from: number
  to: number
}

/**
 * Shard `shard` of `shards` over `devices` indices: contiguous, in order, the sizes differing by
 * at most one, together covering 0..devices-1 exactly once.
 */
export function shardRange(devices: number, shards: number, shard: number): IndexRange {
  if (!Number.isInteger(devices) || devices < 1) throw new RangeError('devices: a whole number ≥ 1')
  if (!Number.isInteger(shards) || shards < 1 || shards > devices)
    throw new RangeError('shards: a whole number from 1 to devices')
  if (!Number.isInteger(shard) || shard < 0 || shard >= shards)
    throw new RangeError('shard: a whole number from 0 to shards − 1')
  // Products stay below 2^53 (10^6 devices × 10^4 shards), so the division is exact.
  return {
    from: Math.floor((shard * devices) / shards),
    to: Math.floor(((shard + 1) * devices) / shards),
  }
}

/** A shard's part of a fleet-wide rate: the K runners together keep to the whole. */
export const shareOf = (budget: number, shards: number) => budget / shards

/** Checks --shards/--shard against the fleet; the message says what is allowed. */
export function checkShards(devices: number, shards: number, shard: number): void {
  if (!Number.isInteger(shards) || shards < 1 || shards > fleetLimits.maxShards)
    throw new UsageError(`--shards: a whole number from 1 to ${count(fleetLimits.maxShards)}`)
  if (shards > devices)
    throw new UsageError(
      `--shards ${shards} is more than --devices ${devices}: a shard would have no device`,
    )
  if (!Number.isInteger(shard) || shard < 0 || shard >= shards)
    throw new UsageError(`--shard: a whole number from 0 to ${shards - 1} (shards count from 0)`)
}

/**
 * --start-at: an ISO 8601 time with its zone (2026-05-01T12:00:00Z), so shards on machines in
 * other zones agree. One in the past starts now (a pod restarted late must not wait forever).
 */
export function parseStartAt(text: string, now: number): number {
  if (!/^\d{4}-\d\d-\d\dT\d\d:\d\d(?::\d\d(?:\.\d{1,3})?)?(?:Z|[+-]\d\d:\d\d)$/.test(text))
    throw new UsageError(
      `--start-at ${text.slice(0, 40)}: give an ISO 8601 time with its zone, e.g. 2026-05-01T12:00:00Z`,
    )
  const at = Date.parse(text)
  if (!Number.isFinite(at)) throw new UsageError(`--start-at ${text}: not a time`)
  if (at - now > fleetLimits.maxStartAheadMs)
    throw new UsageError(`--start-at ${text}: more than 24 h ahead`)
  return at
}
