// No exception inside a connection handler, timer or request may end the lab's process: each is
// caught here, logged as a fault, and answered by the caller's recovery (close that one client,
// refuse that one request), while everyone else is served on.

export type Log = (line: string) => void

export function faultText(e: unknown): string {
  return e instanceof Error ? `${e.name}: ${e.message}` : String(e)
}

/** Runs `fn`; a throw is logged with `where` and handed to `recover`. */
export function contain<T>(log: Log, where: string, fn: () => T, recover: (e: unknown) => T): T {
  try {
    return fn()
  } catch (e) {
    log(`${where}: fault contained (${faultText(e)})`)
    return recover(e)
  }
}

/** A callback that only its first call reaches: a handler that answered and then threw is not answered twice. */
export function once<A extends unknown[]>(f: (...args: A) => void): (...args: A) => void {
  let called = false
  return (...args: A) => {
    if (called) return
    called = true
    f(...args)
  }
}

/** A timer whose callback is contained; unref'd so a pending schedule never keeps a process alive. */
export function safeTimeout(log: Log, where: string, ms: number, fn: () => void): NodeJS.Timeout {
  return setTimeout(
    () => contain(log, where, fn, () => undefined),
    Math.min(ms, 2 ** 31 - 1),
  ).unref()
}

/**
 * An MQTT server callback that answers through `done`: answered at most once, and a throw in
 * `run` is answered by `fault` (which closes or refuses that one client).
 */
export function answering<A extends unknown[]>(
  log: Log,
  where: string,
  done: (...args: A) => void,
  run: (answer: (...args: A) => void) => void,
  fault: (answer: (...args: A) => void) => void,
): void {
  const answer = once(done)
  contain(
    log,
    where,
    () => run(answer),
    () => fault(answer),
  )
}
