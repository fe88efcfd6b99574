export const timedOut = Symbol('timed out')

/** Races `p` against a timer that never outlives the race (so it does not hold the process open). */
export async function withTimeout<T>(p: Promise<T>, ms: number): Promise<T | typeof timedOut> {
  let timer: NodeJS.Timeout | undefined
  try {
    return await Promise.race([
      p,
      new Promise<typeof timedOut>((resolve) => (timer = setTimeout(() => resolve(timedOut), ms))),
    ])
  } finally {
    clearTimeout(timer)
  }
}
