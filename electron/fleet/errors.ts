// What ends a fleet run early, by whose fault: the exit code a script or a CI job reads.

/** Bad input: arguments, a template, a report file given to merge. Exit code 2. */
export class UsageError extends Error {}

/** The world said no: the lab or DPS unreachable, a wrong key, a shard that died. Exit code 1. */
export class RunError extends Error {}

export const exitCodes = {
  ok: 0,
  runtime: 1,
  usage: 2,
  /** The run ended but readings were lost: what the fleet exists to show is not 0. */
  lost: 3,
  /** Ctrl+C (SIGINT) or SIGTERM: the report holds what the fleet had. */
  interrupted: 130,
} as const

/** One line, whatever was thrown: a message never spills a stack or a multi-line body. */
export function oneLine(e: unknown): string {
  const text = e instanceof Error ? e.message : String(e)
  const line = text.replace(/\s*\n\s*/g, ' · ').trim()
  return line.length > 500 ? line.slice(0, 500) + '…' : line
}
