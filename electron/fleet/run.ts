import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { monitorEventLoopDelay } from 'node:perf_hooks'
import type { RunArgs } from './args'
import { formatDuration } from './durations'
import { exitCodes, oneLine } from './errors'
import { type DeviceOutcome, Fleet } from './fleet'
import { type CliIo, sleepUntil, writeReportFile } from './io'
import { labCounts, labDpsCounts } from './lab-counts'
import { ProgressPrinter } from './progress'
import {
  type DeviceReport,
  type Ending,
  type FleetMeta,
  type FleetReport,
  type LabCounts,
  type LabDps,
  buildReport,
} from './report'
import { ScenarioRunner } from './scenario-run'
import { shareOf } from './shards'
import { summaryLines } from './summary'
import { type ResolvedTarget, resolveTarget } from './target'
import { loadTemplate } from './template'

// One runner: the whole fleet, or shard I of K. Resources are taken in order and given back in
// reverse whatever happens (sessions closed, the embedded lab stopped, temp folders removed).

export function deviceReport(o: DeviceOutcome, lab: LabCounts | null): DeviceReport {
  const { device: d, counters: c } = o
  const r = d.recorder
  const produced = d.queuedAtStart + r.produced
  return {
    id: d.id,
    index: d.index,
    hub: o.hubAtEnd,
    home: o.homeHub,
    state: o.stateAtEnd,
    moves: r.moves,
    movesDropped: r.movesDropped,
    away: r.awayNow(),
    reconnects: c.reconnects,
    registrations: c.registrations,
    initialRegistrations: r.initialRegistrations,
    firstConnectedAt: r.firstConnectedAt,
    throttled: c.throttled,
    dpsErrors: c.dpsErrors,
    produced,
    acknowledged: c.acknowledged,
    queued: c.queued,
    dropped: c.dropped,
    lost: produced - c.acknowledged - c.queued,
    telemetry: { produced: r.telemetryProduced, acknowledged: c.telemetryAcked },
    lab,
  }
}

/** The report's description of this run, before its devices. */
export function metaOf(
  args: RunArgs,
  t: { target: ResolvedTarget; template: { modelId: string; source: string } },
  times: { startedAt: number; endedAt: number; ended: Ending; why: string | null },
  ranges = [args.range],
): FleetMeta {
  return {
    prefix: args.prefix,
    devices: args.devices,
    shards: args.shards * args.processes,
    ranges,
    template: t.template,
    target: t.target.meta,
    hubs: t.target.hubs,
    telemetryMs: args.telemetryMs,
    reportedMs: args.reportedMs,
    pacing: { rampMs: args.rampMs, connectRate: args.connectRate, dpsRate: args.dpsRate },
    scenario: args.scenarioText,
    startedAt: new Date(times.startedAt).toISOString(),
    endedAt: new Date(times.endedAt).toISOString(),
    durationMs: times.endedAt - times.startedAt,
    ended: times.ended,
    endedWhy: times.why,
  }
}

/** Writes the report where asked (or to stdout) and, for people, the summary on stderr. */
export async function deliver(
  report: FleetReport,
  args: { report: string | null; json: boolean },
  io: CliIo,
  quiet: boolean,
) {
  const text = JSON.stringify(report, null, 2) + '\n'
  if (args.report) writeReportFile(args.report, text)
  else await io.stdout.write(text)
  if (!args.json && !quiet) io.stderr.write(summaryLines(report, args.report).join('\n') + '\n')
}

const settleCheckMs = 1000

/**
 * Resolves when the scenario is over and the fleet has been settled for two checks in a row (a
 * device that lost its hub a moment ago is not connected yet by the second), with the time; at
 * `endAt` or on abort, with null.
 */
async function untilSettled(
  fleet: Fleet,
  runner: ScenarioRunner | null,
  endAt: number,
  signal: AbortSignal,
): Promise<number | null> {
  let streak = 0
  while (!signal.aborted && Date.now() < endAt) {
    await sleepUntil(Math.min(endAt, Date.now() + settleCheckMs), signal)
    const settled = (runner?.over() ?? true) && fleet.settled()
    streak = settled ? streak + 1 : 0
    if (streak >= 2) return Date.now()
  }
  return null
}

export async function runFleet(args: RunArgs, io: CliIo): Promise<number> {
  const template = loadTemplate(args.template)
  const signal = io.signal
  let printer: ProgressPrinter | null = null
  const say = (line: string) => (printer ? printer.say(line) : io.stderr.write(line + '\n'))
  const tempDir = mkdtempSync(join(tmpdir(), 'fleet-'))
  let target: ResolvedTarget | null = null
  let fleet: Fleet | null = null
  let removeFault = () => {}
  const cpu0 = process.cpuUsage()
  const loop = monitorEventLoopDelay({ resolution: 20 })
  let peakRss = process.memoryUsage.rss()
  try {
    target = await resolveTarget(args.target, {
      transport: args.transport,
      tempDir,
      env: io.env,
      log: args.verbose ? (l) => say(`lab: ${l}`) : () => {},
    })
    const k = args.shards * args.processes
    fleet = new Fleet({
      prefix: args.prefix,
      range: args.range,
      target: target.target,
      model: template.model,
      dataDir: args.dataDir ?? join(tempDir, 'devices'),
      periods: { telemetryMs: args.telemetryMs, reportedMs: args.reportedMs },
      pacing: {
        rampMs: args.rampMs,
        connectRate: shareOf(args.connectRate, k),
        dpsRate: args.dpsRate === null ? null : shareOf(args.dpsRate, k),
      },
      startupTimeoutMs: args.startupTimeoutMs,
    })
    const f = fleet
    removeFault = io.onFault((e) => {
      const n = f.recoverFromFault(e)
      say(`fleet: contained a fault (${oneLine(e)}); ${n} sessions in an attempt started over`)
    })
    await fleet.open(signal)

    let startAt = args.startAt ?? Date.now()
    if (io.parent) {
      io.parent.ready()
      const given = await io.parent.startTime()
      startAt = given ?? Date.now()
    } else if (startAt > Date.now() && !signal.aborted) {
      say(`fleet: ${fleet.size} devices ready; starting at ${new Date(startAt).toISOString()}`)
    }
    await sleepUntil(startAt, signal)
    loop.enable()
    const startedAt = Math.max(startAt, Date.now())
    const endAt = startAt + args.durationMs
    const runner =
      args.scenario && target.lab && !io.parent
        ? new ScenarioRunner(target.lab, args.scenario, {
            prefix: args.prefix,
            devices: args.devices,
            log: say,
            starting: () => f.progress().starting,
          })
        : null
    const read = () => ({
      progress: f.progress(),
      elapsedMs: Date.now() - startAt,
      durationMs: args.durationMs,
    })
    const sample = setInterval(() => {
      peakRss = Math.max(peakRss, process.memoryUsage.rss())
      if (io.parent) io.parent.progress(f.progress(), Date.now() - startAt)
    }, 1000)
    sample.unref()
    if (!io.parent) {
      printer = new ProgressPrinter(
        io.stderr,
        args.json ? 'json' : io.stderrIsTTY ? 'tty' : 'plain',
        read,
      )
      printer.start()
    }

    let ended: Ending = 'completed'
    let why: string | null = null
    try {
      if (!signal.aborted) {
        runner?.start(startAt)
        // A ramp held back by a slow machine still ends with the run: --duration is the bound.
        await fleet.start(
          AbortSignal.any([signal, AbortSignal.timeout(Math.max(1, endAt - Date.now()))]),
        )
        if (args.untilSettled) {
          const at = await untilSettled(f, runner, endAt, signal)
          if (at !== null) why = `settled after ${formatDuration(at - startAt)}`
        } else await sleepUntil(endAt, signal)
      }
    } catch (e) {
      // The first device could not connect: nothing to report, everything to undo.
      clearInterval(sample)
      printer?.stop(false)
      printer = null
      await runner?.stop()
      if (!target.embedded) await runner?.undo()
      throw e
    }
    if (signal.aborted) {
      ended = 'interrupted'
      why = `stopped after ${formatDuration(Date.now() - startAt)}`
      say('fleet: stopping: closing every session, then the report')
    }
    await runner?.stop()
    clearInterval(sample)
    printer?.stop()
    printer = null
    peakRss = Math.max(peakRss, process.memoryUsage.rss())
    const outcomes = await fleet.close()
    const endedAt = Date.now()
    const notes: string[] = []
    let counts = new Map<string, LabCounts | null>()
    let labDps: LabDps | null = null
    if (target.lab) {
      const got = await labCounts(
        target.lab,
        outcomes.map((o) => o.device.id),
      )
      counts = got.counts
      if (got.problem) notes.push(got.problem)
      labDps = await labDpsCounts(target.lab).catch((e: unknown) => {
        notes.push(`the lab's DPS counts could not be read: ${oneLine(e)}`)
        return null
      })
    } else
      notes.push(
        'duplicates and missing readings are counted by the receiving end: against IoT Central they are not known here (null); lost is produced − acknowledged − queued on the devices',
      )
    if (!target.embedded) await runner?.undo()
    if (fleet.faultCount) notes.push(`${fleet.faultCount} uncaught exceptions were contained`)
    const cpu = process.cpuUsage(cpu0)
    loop.disable()
    const lag = (ns: number) => Math.max(0, Math.round(ns / 1e6 - 20))
    const report = buildReport(
      metaOf(
        args,
        { target, template: { modelId: template.model.id, source: template.source } },
        { startedAt, endedAt, ended, why },
      ),
      outcomes.map((o) => deviceReport(o, counts.get(o.device.id) ?? null)),
      runner?.events ?? [],
      [
        {
          shard: args.shard,
          devices: fleet.size,
          peakRssBytes: peakRss,
          cpuUserMs: Math.round(cpu.user / 1000),
          cpuSystemMs: Math.round(cpu.system / 1000),
          faults: fleet.faultCount,
          eventLoopDelayMs: {
            p50: lag(loop.percentile(50)),
            p99: lag(loop.percentile(99)),
            max: lag(loop.max),
          },
        },
      ],
      notes,
      labDps,
    )
    await deliver(report, args, io, io.parent !== null)
    if (ended === 'interrupted') return exitCodes.interrupted
    return report.totals.lost > 0 ? exitCodes.lost : exitCodes.ok
  } finally {
    loop.disable()
    printer?.stop()
    removeFault()
    await fleet?.close().catch(() => {})
    await target?.embedded?.stop().catch(() => {})
    rmSync(tempDir, { recursive: true, force: true })
  }
}
