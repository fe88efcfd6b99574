import { existsSync, readFileSync, readdirSync, statSync } from 'node:fs'
import { join, relative } from 'node:path'
import { TelemetrySimulator } from '../electron/device/behaviour/simulate'
import { dtmiPath, loadModel, parseModel, type DeviceModel } from '../shared/dtdl'
import { model as sampleModel } from '../tests/integration/fixtures/engine'
import { type Bench, median, until } from './setup'

// Device templates: how long the largest real template takes to load, and what a message of a
// 30-field template costs the device next to the sample's two fields.

const corpus = join(import.meta.dirname, '../tests/fixtures/models')
const repo = join(corpus, 'repo')
const resolve = (id: string) => {
  const f = join(repo, dtmiPath(id))
  return existsSync(f) ? { name: dtmiPath(id), text: readFileSync(f, 'utf8') } : null
}

function jsonFiles(dir: string): string[] {
  return readdirSync(dir).flatMap((n) => {
    const p = join(dir, n)
    return statSync(p).isDirectory() ? jsonFiles(p) : p.endsWith('.json') ? [p] : []
  })
}

const loadOf = (file: string) => () =>
  loadModel([{ name: relative(corpus, file), text: readFileSync(file, 'utf8') }], { resolve })

/** Median wall time of `runs` calls, in ms with two decimals. */
function timed(fn: () => unknown, runs: number): number {
  const ms: number[] = []
  for (let i = 0; i < runs; i++) {
    const t = performance.now()
    fn()
    ms.push((performance.now() - t) * 1000)
  }
  return Math.round(median(ms)!) / 1000
}

/** CPU (user + system) of this process per message generated and serialized, in µs. */
function generationCpu(model: DeviceModel, messages: number): number {
  const sim = new TelemetrySimulator(model)
  const before = process.cpuUsage()
  let n = 0
  while (n < messages) for (const r of sim.next()) n += JSON.stringify(r.values).length > 0 ? 1 : 0
  const used = process.cpuUsage(before)
  return Math.round(((used.user + used.system) / n) * 100) / 100
}

/**
 * CPU per telemetry message acknowledged by the lab, of this one process (engine and lab both:
 * the bench's lab runs here), with the telemetry period short enough that sending dominates.
 */
async function engineCpu(bench: Bench, model: DeviceModel, deviceId: string, messages: number) {
  const session = bench.session(deviceId, {
    model,
    modelId: model.id,
    periods: { telemetryMs: 5, reportedMs: 60_000 },
  })
  await session.connect()
  await until('first acknowledgement', () => session.snapshot().counters.telemetryAcked > 0)
  const from = session.snapshot().counters.telemetryAcked
  const before = process.cpuUsage()
  const t0 = Date.now()
  await until(
    `${messages} acknowledged`,
    () => session.snapshot().counters.telemetryAcked - from >= messages,
    120_000,
  )
  const used = process.cpuUsage(before)
  const acked = session.snapshot().counters.telemetryAcked - from
  const body = JSON.stringify(session.recentTelemetry().at(-1)?.values ?? {})
  await session.close()
  return {
    messages: acked,
    bodyBytes: body.length,
    cpuUsPerMessage: Math.round((used.user + used.system) / acked),
    seconds: (Date.now() - t0) / 1000,
  }
}

export async function benchTemplates(bench: Bench) {
  const files = jsonFiles(corpus)
  // The largest template counted with what it references: what a user's load really reads.
  const sized = files.map((f) => {
    const r = loadOf(f)()
    const bytes = statSync(f).size
    return { file: f, bytes, ok: r.ok, elements: r.ok ? countOf(r.model) : 0 }
  })
  const largest = sized.filter((s) => s.ok).sort((a, b) => b.bytes - a.bytes)[0]!
  const thirty = parseModel(
    readFileSync(join(corpus, 'synthetic/thirty-fields.json'), 'utf8'),
    'thirty-fields.json',
  )
  const messages = Math.max(500, Math.min(5000, Math.round(bench.o.messages / 10)))
  bench.progress(`templates: ${messages} messages each for the 30-field and the sample template`)
  const engine30 = await engineCpu(bench, thirty, 'bench-templates-30', messages)
  const engine2 = await engineCpu(bench, sampleModel, 'bench-templates-2', messages)
  return {
    load: {
      largest: {
        file: relative(corpus, largest.file),
        bytes: largest.bytes,
        elements: largest.elements,
        ms: timed(loadOf(largest.file), 30),
      },
      corpus: {
        files: files.length,
        loaded: sized.filter((s) => s.ok).length,
        ms: timed(() => files.forEach((f) => loadOf(f)()), 5),
      },
    },
    perMessage: {
      thirtyFields: {
        fields: thirty.telemetry.length,
        generateUs: generationCpu(thirty, 20_000),
        engineAndLab: engine30,
      },
      sample: {
        fields: sampleModel.telemetry.length,
        generateUs: generationCpu(sampleModel, 20_000),
        engineAndLab: engine2,
      },
    },
  }
}

function countOf(m: DeviceModel): number {
  return m.telemetry.length + m.properties.length + m.commands.length + m.components.length
}
