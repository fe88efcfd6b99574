import { type Args, parseArgs } from './args'
import { exitCodes, oneLine, RunError, UsageError } from './errors'
import type { CliIo, ParentLink } from './io'
import { writeReportFile } from './io'
import { mergeReports, readReportFile } from './merge'
import { childEnv, type FromChild, type ToChild } from './processes'
import { runProcesses } from './processes'
import { runFleet } from './run'
import { summaryLines } from './summary'
import { usage } from './usage'

// `fleet`: the headless fleet runner. main() never throws: every ending is a line and a code.

async function merge(args: Extract<Args, { command: 'merge' }>, io: CliIo): Promise<number> {
  const merged = mergeReports(args.files.map(readReportFile))
  const text = JSON.stringify(merged, null, 2) + '\n'
  if (args.report) writeReportFile(args.report, text)
  else await io.stdout.write(text)
  if (!args.json) io.stderr.write(summaryLines(merged, args.report).join('\n') + '\n')
  return exitCodes.ok
}

export async function main(argv: string[], given?: CliIo): Promise<number> {
  const program = given ? null : programIo()
  const io = given ?? program!.io
  try {
    const args = parseArgs(argv)
    if (args.command === 'help') {
      await io.stdout.write(usage + '\n')
      return exitCodes.ok
    }
    if (args.command === 'merge') return await merge(args, io)
    return await (args.processes > 1 ? runProcesses(args, io) : runFleet(args, io))
  } catch (e) {
    if (io.signal.aborted && !(e instanceof UsageError)) {
      io.stderr.write(`fleet: stopped (${oneLine(e)})\n`)
      return exitCodes.interrupted
    }
    const usageError = e instanceof UsageError
    const known = usageError || e instanceof RunError
    io.stderr.write(`fleet: ${known ? '' : 'unexpected error: '}${oneLine(e)}\n`)
    return usageError ? exitCodes.usage : exitCodes.runtime
  } finally {
    program?.dispose()
  }
}

/**
 * The program's own streams and signals. Ctrl+C (or SIGTERM) once: close every session, stop the
 * lab, write the report. Twice: leave at once. In a child of --processes, the parent says when
 * to start and stop over IPC, and a parent that goes away counts as a stop.
 */
function programIo(): { io: CliIo; dispose: () => void } {
  const abort = new AbortController()
  let signals = 0
  const onSignal = () => {
    if (++signals === 1) return abort.abort()
    process.stderr.write('\nfleet: stopping now (second interrupt); no report\n')
    process.exit(exitCodes.interrupted)
  }
  process.on('SIGINT', onSignal)
  process.on('SIGTERM', onSignal)
  const faultHandlers = new Set<(e: unknown) => void>()
  const onFault = (e: unknown) => {
    if (faultHandlers.size === 0) {
      process.stderr.write(`fleet: unexpected error: ${oneLine(e)}\n`)
      process.exit(exitCodes.runtime)
    }
    for (const h of faultHandlers) h(e)
  }
  process.on('uncaughtException', onFault)
  process.on('unhandledRejection', onFault)

  let parent: ParentLink | null = null
  const cleanups: (() => void)[] = []
  if (process.env[childEnv] === '1' && process.send) {
    const send = (m: FromChild) => {
      if (process.connected) process.send!(m)
    }
    let startWaiter: ((at: number | null) => void) | null = null
    let startGiven: number | null | undefined
    const onMessage = (m: ToChild) => {
      if (m?.type === 'start') {
        startGiven = typeof m.at === 'number' && Number.isFinite(m.at) ? m.at : Date.now()
        startWaiter?.(startGiven)
      } else if (m?.type === 'stop') {
        startGiven ??= null
        startWaiter?.(null)
        abort.abort()
      }
    }
    const onDisconnect = () => {
      startWaiter?.(null)
      abort.abort()
    }
    process.on('message', onMessage)
    process.on('disconnect', onDisconnect)
    cleanups.push(() => {
      process.off('message', onMessage)
      process.off('disconnect', onDisconnect)
      if (process.connected) process.disconnect()
    })
    parent = {
      ready: () => send({ type: 'ready' }),
      startTime: () =>
        startGiven !== undefined
          ? Promise.resolve(startGiven)
          : new Promise((r) => (startWaiter = r)),
      progress: (progress, elapsedMs) => send({ type: 'progress', progress, elapsedMs }),
    }
  }

  const io: CliIo = {
    stdout: {
      write: (text) =>
        new Promise<void>((resolve) => {
          process.stdout.write(text, () => resolve())
        }),
    },
    stderr: { write: (text) => void process.stderr.write(text) },
    stderrIsTTY: Boolean(process.stderr.isTTY),
    env: process.env,
    signal: abort.signal,
    parent,
    onFault: (h) => {
      faultHandlers.add(h)
      return () => faultHandlers.delete(h)
    },
  }
  return {
    io,
    dispose: () => {
      process.off('SIGINT', onSignal)
      process.off('SIGTERM', onSignal)
      for (const c of cleanups) c()
      // Left installed on purpose: a fault on a late tick still ends in one line, not a stack.
      faultHandlers.clear()
    },
  }
}
