import { type ChildProcess, fork } from 'node:child_process'
import { mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'
import type { RunArgs } from './args'
import { formatDuration } from './durations'
import { exitCodes, oneLine, RunError, UsageError } from './errors'
import type { FleetProgress } from './fleet'
import { type CliIo, sleepUntil } from './io'
import { fleetLimits } from './limits'
import { mergeReports, parseReport } from './merge'
import { ProgressPrinter, sumProgress } from './progress'
import { ScenarioRunner } from './scenario-run'
import { shardRange } from './shards'
import { groupKeyEnv, resolveTarget, type ResolvedTarget } from './target'
import { loadTemplate } from './template'
import { deliver } from './run'

// --processes K: K shards of this fleet as child processes of this one (a core each), one lab
// for all (started here, and given to them as --lab-url), the scenario run here, their reports
// merged into one. Children are in a process group of their own: a Ctrl+C reaches this process,
// which tells each child once to stop and report.

/** Set in a child's environment: it talks to its parent over IPC. */
export const childEnv = 'FLEET_CHILD'

export type ToChild = { type: 'start'; at: number } | { type: 'stop' }
export type FromChild =
  { type: 'ready' } | { type: 'progress'; progress: FleetProgress; elapsedMs: number }

/** This program again: the built bundle, or the TypeScript entry through tsx when run from source. */
export function selfEntry(): { file: string; execArgv: string[] } {
  const here = fileURLToPath(new URL('.', import.meta.url))
  if (import.meta.url.endsWith('.ts'))
    return { file: resolve(here, '../../scripts/entries/fleet.ts'), execArgv: ['--import', 'tsx'] }
  return { file: resolve(here, '../cli/fleet.js'), execArgv: [] }
}

/** The arguments of shard `i`: the same fleet, its slice, and where to find the target. */
export function childArgs(
  args: RunArgs,
  i: number,
  t: ResolvedTarget,
  dirs: { reports: string; devices: string },
): string[] {
  const a = [
    '--devices',
    String(args.devices),
    '--shards',
    String(args.processes),
    '--shard',
    String(i),
    '--prefix',
    args.prefix,
    '--duration',
    `${args.durationMs}ms`,
    '--telemetry',
    `${args.telemetryMs}ms`,
    '--reported',
    `${args.reportedMs}ms`,
    '--connect-rate',
    String(args.connectRate),
    '--ramp',
    `${args.rampMs}ms`,
    '--startup-timeout',
    `${args.startupTimeoutMs}ms`,
    '--transport',
    args.transport,
    '--report',
    join(dirs.reports, `shard-${i}.json`),
    '--data-dir',
    dirs.devices,
    '--json',
  ]
  if (args.template) a.push('--template', resolve(args.template))
  if (args.dpsRate !== null) a.push('--dps-rate', String(args.dpsRate))
  if (args.verbose) a.push('--verbose')
  if (t.lab) a.push('--lab-url', t.lab.url)
  else a.push('--id-scope', t.meta.idScope, '--dps-host', t.meta.dpsHost)
  if (args.target.kind !== 'embedded' && args.target.caFile)
    a.push('--ca', resolve(args.target.caFile))
  return a
}

interface Child {
  i: number
  proc: ChildProcess
  ready: boolean
  progress: FleetProgress | null
  lastLines: string[]
  exit: Promise<number | null>
}

const readyTimeoutMs = 120_000

export async function runProcesses(args: RunArgs, io: CliIo): Promise<number> {
  // Checked here, before any child starts: the children would only say it K times.
  loadTemplate(args.template)
  const signal = io.signal
  const tempDir = mkdtempSync(join(tmpdir(), 'fleet-'))
  const children: Child[] = []
  let target: ResolvedTarget | null = null
  let printer: ProgressPrinter | null = null
  const say = (line: string) => (printer ? printer.say(line) : io.stderr.write(line + '\n'))
  let stopSent = false
  const stopAll = () => {
    if (stopSent) return
    stopSent = true
    for (const c of children) if (c.proc.connected) c.proc.send({ type: 'stop' } satisfies ToChild)
  }
  try {
    target = await resolveTarget(args.target, {
      transport: args.transport,
      tempDir,
      env: io.env,
      log: args.verbose ? (l) => say(`lab: ${l}`) : () => {},
    })
    const t = target
    const dirs = {
      reports: join(tempDir, 'reports'),
      devices: args.dataDir ?? join(tempDir, 'devices'),
    }
    mkdirSync(dirs.reports)
    const entry = selfEntry()
    for (let i = 0; i < args.processes; i++) {
      const proc = fork(entry.file, childArgs(args, i, t, dirs), {
        execArgv: entry.execArgv,
        env: { ...io.env, [childEnv]: '1', [groupKeyEnv]: t.target.groupKey },
        stdio: ['ignore', 'ignore', 'pipe', 'ipc'],
        serialization: 'json',
        detached: process.platform !== 'win32',
      })
      const child: Child = {
        i,
        proc,
        ready: false,
        progress: null,
        lastLines: [],
        exit: new Promise((r) =>
          proc.once('exit', (code) => {
            // One shard that cannot run (a refused key, say) means the fleet is not what was
            // asked for: the others stop too, and report what they have.
            if (code === exitCodes.runtime || code === exitCodes.usage) stopAll()
            r(code)
          }),
        ),
      }
      proc.stderr?.setEncoding('utf8')
      let partial = ''
      proc.stderr?.on('data', (chunk: string) => {
        const lines = (partial + chunk).split('\n')
        partial = lines.pop()!.slice(-2000)
        for (const line of lines) {
          if (!line.trim()) continue
          child.lastLines = [...child.lastLines.slice(-4), line.slice(0, 2000)]
          // The children's progress comes over IPC; what they print is a log line (a fault).
          if (!line.startsWith('{')) say(`shard ${i}: ${line}`)
        }
      })
      proc.on('message', (m: FromChild) => {
        if (m?.type === 'ready') child.ready = true
        else if (m?.type === 'progress') child.progress = m.progress
      })
      children.push(child)
    }
    await allReady(children, signal)
    const startAt = Date.now() + 500
    for (const c of children)
      if (c.proc.connected) c.proc.send({ type: 'start', at: startAt } satisfies ToChild)
    /** A shard that has not said how it is doing yet: all its devices still starting. */
    const blank = (c: Child): FleetProgress => {
      const r = shardRange(args.devices, args.processes, c.i)
      return {
        devices: r.to - r.from,
        started: 0,
        connected: {},
        moving: 0,
        starting: r.to - r.from,
        failed: 0,
        throttledNow: 0,
        throttles: 0,
        registrations: 0,
        moves: 0,
        produced: 0,
      }
    }
    const total = () => sumProgress(children.map((c) => c.progress ?? blank(c)))
    const runner =
      args.scenario && t.lab
        ? new ScenarioRunner(t.lab, args.scenario, {
            prefix: args.prefix,
            devices: args.devices,
            log: say,
            starting: () => total().starting,
          })
        : null
    runner?.start(startAt)
    printer = new ProgressPrinter(
      io.stderr,
      args.json ? 'json' : io.stderrIsTTY ? 'tty' : 'plain',
      () => ({
        progress: total(),
        elapsedMs: Date.now() - startAt,
        durationMs: args.durationMs,
      }),
    )
    printer.start()
    const onAbort = () => {
      say('fleet: stopping: each shard closes its sessions and reports')
      stopAll()
    }
    signal.addEventListener('abort', onAbort, { once: true })
    const codes = await Promise.all(children.map((c) => c.exit))
    signal.removeEventListener('abort', onAbort)
    await runner?.stop()
    const reported = [exitCodes.ok, exitCodes.lost, exitCodes.interrupted] as (number | null)[]
    printer.stop(codes.some((c) => reported.includes(c)))
    printer = null
    if (!target.embedded) await runner?.undo()

    const named = []
    const failed: string[] = []
    for (const c of children) {
      const file = join(dirs.reports, `shard-${c.i}.json`)
      try {
        const text = readFileSync(file, 'utf8')
        if (text.length > fleetLimits.maxReportBytes) throw new Error('too large')
        named.push({ name: `shard ${c.i}`, report: parseReport(text, `shard ${c.i}`) })
      } catch {
        failed.push(
          `shard ${c.i} (exit ${codes[c.i] ?? 'signal'}): ${c.lastLines.at(-1) ?? 'no report'}`,
        )
      }
    }
    if (named.length === 0) throw new RunError(`no shard reported: ${failed[0]}`)
    const merged = mergeReports(named, {
      events: runner?.events ?? [],
      scenario: args.scenarioText,
      notes: failed.map((f) => `no report from ${f}`),
    })
    merged.fleet.target = t.meta
    merged.fleet.shards = args.processes
    await deliver(merged, args, io, false)
    if (failed.length) return exitCodes.runtime
    if (signal.aborted || codes.some((c) => c === exitCodes.interrupted))
      return exitCodes.interrupted
    return merged.totals.lost > 0 ? exitCodes.lost : exitCodes.ok
  } finally {
    printer?.stop()
    stopAll()
    // A child that does not stop when told is not waited for forever.
    await Promise.race([
      Promise.all(children.map((c) => c.exit)),
      sleepUntil(Date.now() + 15_000, new AbortController().signal),
    ])
    for (const c of children)
      if (c.proc.exitCode === null && c.proc.signalCode === null) c.proc.kill('SIGKILL')
    await target?.embedded?.stop().catch(() => {})
    rmSync(tempDir, { recursive: true, force: true })
  }
}

/** Every child has built its sessions; one that exits first ends the run with its last words. */
function allReady(children: Child[], signal: AbortSignal): Promise<void> {
  return new Promise<void>((resolve, reject) => {
    const started = Date.now()
    const check = () => {
      const dead = children.find((c) => c.proc.exitCode !== null || c.proc.signalCode !== null)
      if (dead) {
        clearInterval(timer)
        const why = dead.lastLines.at(-1)?.replace(/^fleet: /, '') ?? `exit ${dead.proc.exitCode}`
        return reject(
          dead.proc.exitCode === exitCodes.usage
            ? new UsageError(why)
            : new RunError(`shard ${dead.i}: ${why}`),
        )
      }
      if (signal.aborted) {
        clearInterval(timer)
        return reject(new RunError('stopped before every shard was ready'))
      }
      if (children.every((c) => c.ready)) {
        clearInterval(timer)
        return resolve()
      }
      if (Date.now() - started > readyTimeoutMs) {
        clearInterval(timer)
        reject(
          new RunError(
            `the shards were not ready within ${formatDuration(readyTimeoutMs)}: ${oneLine(children.find((c) => !c.ready)?.lastLines.at(-1) ?? '')}`,
          ),
        )
      }
    }
    const timer = setInterval(check, 50)
  })
}
