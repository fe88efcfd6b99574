export interface BackoffPolicy {
  initialMs: number
  maxMs: number
}

export const defaultBackoff: BackoffPolicy = { initialMs: 1000, maxMs: 60_000 }

/**
 * Capped exponential backoff with "equal jitter": half of the delay is fixed and half random,
 * so a fleet that lost the same hub spreads its retries out without any device retrying at ~0.
 * `attempt` counts from 1.
 */
export function backoffDelay(
  attempt: number,
  policy: BackoffPolicy,
  random: () => number = Math.random,
): number {
  const ceiling = Math.min(
    policy.maxMs,
    policy.initialMs * 2 ** Math.min(30, Math.max(0, attempt - 1)),
  )
  return Math.round(ceiling / 2 + (random() * ceiling) / 2)
}
