import { closeSync, fstatSync, openSync, readSync } from 'node:fs'
import { UsageError } from './errors'
import { count, fleetLimits } from './limits'
import { indexOf } from './device-ids'
import { type Ending, type FleetReport, type LabDps, buildReport, reportSchema } from './report'
import type { IndexRange } from './shards'
import type { FleetEvent } from './waves'

// `fleet merge a.json b.json …`: reports from anywhere (shards on other machines, pods of a
// Kubernetes job) into one. A report file is hostile input: its size is bounded before it is
// read, its shape checked field by field, and reports that cannot belong together are refused.

/** A report as read: its raw part is trusted after the checks; totals and waves are redone. */
export type ReadReport = Omit<FleetReport, 'totals' | 'waves'> & {
  totals: unknown
  waves: unknown[]
}

export interface NamedReport {
  name: string
  report: ReadReport
}

/** Reads and checks one report file; every refusal names the file and says why. */
export function readReportFile(path: string): NamedReport {
  let fd: number
  try {
    fd = openSync(path, 'r')
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code
    throw new UsageError(`${path}: ${code === 'ENOENT' ? 'no such file' : (e as Error).message}`)
  }
  let text: string
  try {
    const st = fstatSync(fd)
    if (!st.isFile()) throw new UsageError(`${path}: not a regular file`)
    if (st.size > fleetLimits.maxReportBytes)
      throw new UsageError(
        `${path}: ${count(st.size)} bytes; a report may have at most ${count(fleetLimits.maxReportBytes)}`,
      )
    const buf = Buffer.alloc(st.size)
    let got = 0
    while (got < st.size) {
      const n = readSync(fd, buf, got, st.size - got, got)
      if (n === 0) break
      got += n
    }
    text = buf.subarray(0, got).toString('utf8')
  } finally {
    closeSync(fd)
  }
  return { name: path, report: parseReport(text, path) }
}

/** A report from its text (a file's, or a child process's). */
export function parseReport(text: string, name: string): ReadReport {
  let json: unknown
  try {
    json = JSON.parse(text)
  } catch (e) {
    throw new UsageError(`${name}: not JSON (${(e as Error).message.slice(0, 120)})`)
  }
  const r = reportSchema.safeParse(json)
  if (!r.success) {
    const issue = r.error.issues[0]!
    const where = issue.path
      .map((p) => (typeof p === 'number' ? `[${p}]` : `.${String(p)}`))
      .join('')
    throw new UsageError(
      `${name}: not a fleet report: ${where.replace(/^\./, '') || '(top)'}: ${issue.message}`,
    )
  }
  const report: ReadReport = { ...r.data, labDps: r.data.labDps ?? null }
  for (const d of report.devices) {
    if (indexOf(report.fleet.prefix, d.id) !== d.index)
      throw new UsageError(`${name}: device ${d.id} is not ${report.fleet.prefix}-${d.index}`)
    if (d.index >= report.fleet.devices)
      throw new UsageError(
        `${name}: device ${d.id} is past the fleet's ${report.fleet.devices} devices`,
      )
  }
  return report
}

const severity: Record<Ending, number> = { completed: 0, interrupted: 1, failed: 2 }

/** Adjacent or overlapping ranges as one, in order: what the merged report covers. */
function union(ranges: IndexRange[]): IndexRange[] {
  const out: IndexRange[] = []
  for (const r of [...ranges].sort((a, b) => a.from - b.from)) {
    const last = out[out.length - 1]
    if (last && r.from <= last.to) last.to = Math.max(last.to, r.to)
    else out.push({ ...r })
  }
  return out
}

/**
 * One report from several of the same fleet. Refused: different prefixes or fleet sizes, and a
 * device in two reports (the same id run twice would count its data twice). `events` are added
 * to the reports' own (the parent of --processes runs the scenario; its children do not).
 */
export function mergeReports(
  inputs: NamedReport[],
  extra: { events?: FleetEvent[]; scenario?: string | null; notes?: string[] } = {},
): FleetReport {
  if (inputs.length === 0) throw new UsageError('merge: give at least one report')
  const first = inputs[0]!
  const f0 = first.report.fleet
  const owner = new Map<string, string>()
  for (const { name, report } of inputs) {
    const f = report.fleet
    if (f.prefix !== f0.prefix)
      throw new UsageError(
        `${name} is of fleet "${f.prefix}", ${first.name} of "${f0.prefix}": merge reports of one fleet`,
      )
    if (f.devices !== f0.devices)
      throw new UsageError(
        `${name} is of a ${count(f.devices)}-device fleet, ${first.name} of ${count(f0.devices)}`,
      )
    for (const d of report.devices) {
      const had = owner.get(d.id)
      if (had !== undefined)
        throw new UsageError(
          `${d.id} is in both ${had} and ${name}: a device may be in one report only (were shards run twice?)`,
        )
      owner.set(d.id, name)
    }
  }
  const reports = inputs.map((i) => i.report)
  const notes = new Set<string>(extra.notes)
  for (const r of reports) for (const n of r.notes) notes.add(n)
  const models = new Set(reports.map((r) => r.fleet.template.modelId))
  if (models.size > 1) notes.add(`the reports ran different templates: ${[...models].join(', ')}`)
  const targets = new Set(reports.map((r) => `${r.fleet.target.kind} ${r.fleet.target.idScope}`))
  if (targets.size > 1)
    notes.add(`the reports ran against different targets: ${[...targets].join(', ')}`)

  const ranges = union(reports.flatMap((r) => r.fleet.ranges))
  const covered = ranges.reduce((n, r) => n + r.to - r.from, 0)
  if (covered < f0.devices)
    notes.add(
      `${count(f0.devices - covered)} of the fleet's ${count(f0.devices)} devices are in none of the reports (covered: ${ranges.map((r) => `${r.from}–${r.to - 1}`).join(', ')})`,
    )
  const events = new Map<string, FleetEvent>()
  for (const e of [...reports.flatMap((r) => r.events), ...(extra.events ?? [])])
    events.set(`${e.at} ${e.text}`, e)
  const started = Math.min(...reports.map((r) => Date.parse(r.fleet.startedAt)))
  const ended = Math.max(...reports.map((r) => Date.parse(r.fleet.endedAt)))
  const worst = reports.reduce((w, r) =>
    severity[r.fleet.ended] > severity[w.fleet.ended] ? r : w,
  )
  const hubs: Record<string, string> = {}
  for (const r of reports) Object.assign(hubs, r.fleet.hubs)
  return buildReport(
    {
      ...f0,
      shards: Math.max(...reports.map((r) => r.fleet.shards)),
      ranges,
      hubs,
      scenario: extra.scenario ?? reports.find((r) => r.fleet.scenario)?.fleet.scenario ?? null,
      startedAt: new Date(started).toISOString(),
      endedAt: new Date(ended).toISOString(),
      durationMs: ended - started,
      ended: worst.fleet.ended,
      endedWhy: worst.fleet.endedWhy,
    },
    reports.flatMap((r) => r.devices),
    [...events.values()],
    reports.flatMap((r) => r.processes),
    [...notes],
    labOf(reports),
  )
}

/**
 * Shards against one lab (one id scope) each hold that lab's counts since it started: the
 * latest is the whole of them. Labs of their own (embedded, each its own id scope) add up.
 */
function labOf(reports: ReadReport[]): LabDps | null {
  const byScope = new Map<string, LabDps>()
  for (const r of reports) {
    const l = r.labDps
    if (!l) continue
    const had = byScope.get(r.fleet.target.idScope)
    if (!had || l.registrations.accepted > had.registrations.accepted)
      byScope.set(r.fleet.target.idScope, l)
  }
  if (byScope.size === 0) return null
  const sum = (f: (l: LabDps) => number) => [...byScope.values()].reduce((n, l) => n + f(l), 0)
  return {
    registrations: {
      accepted: sum((l) => l.registrations.accepted),
      throttled: sum((l) => l.registrations.throttled),
    },
    polls: { accepted: sum((l) => l.polls.accepted), throttled: sum((l) => l.polls.throttled) },
  }
}
