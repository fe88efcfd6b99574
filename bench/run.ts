import { cpus } from 'node:os'
import { benchCrash } from './crash'
import { benchFailover, benchHubRestart } from './failover'
import { benchFleet } from './fleet'
import { benchFloor } from './floor'
import { type BenchOptions, type ScenarioName, helpText, parseOptions } from './options'
import { benchOutage } from './outage'
import { benchReference } from './reference'
import { type Bench, benchLab, ratio } from './setup'
import { benchSoak } from './soak'
import { summaryTable } from './table'
import { benchTemplates } from './templates'
import { benchThroughput } from './throughput'
import { benchUi } from './ui'

// `npm run bench`: every scenario side by side on one private lab, one JSON document on stdout,
// progress and a summary table on stderr. See bench/README.md for what each figure means.

const scenarios: Record<ScenarioName, (bench: Bench) => Promise<unknown>> = {
  failover: benchFailover,
  restart: async (bench) => ({
    cachedHub: await benchHubRestart(bench, true),
    throughDps: await benchHubRestart(bench, false),
  }),
  floor: benchFloor,
  reference: benchReference,
  outage: benchOutage,
  crash: benchCrash,
  soak: benchSoak,
  throughput: benchThroughput,
  ui: benchUi,
  templates: benchTemplates,
  fleet: benchFleet,
}

type Results = Partial<Record<ScenarioName, unknown>>

/** The figures a user choosing between us and the reference samples asks for first. */
function headline(r: Results) {
  const failover = r.failover as Awaited<ReturnType<typeof benchFailover>> | undefined
  const floor = r.floor as Awaited<ReturnType<typeof benchFloor>> | undefined
  const reference = r.reference as Awaited<ReturnType<typeof benchReference>> | undefined
  const oursManual = failover?.failover.firstAckMs.median ?? null
  const floorMs = floor?.totalMs.median ?? null
  return {
    oursManualFailoverFirstAckMs: oursManual,
    floorMs,
    failoverOverFloor: ratio(oursManual, floorMs),
    manualFailover: reference?.manualFailover && {
      oursFirstAckMs: reference.manualFailover.ours.firstAckMs.median,
      referenceFirstAck: reference.manualFailover.reference.firstAckText,
      referenceOverOurs: reference.manualFailover.ratio,
      readingsLost: {
        ours: reference.manualFailover.ours.readingsLost,
        reference: reference.manualFailover.reference.readingsLost,
      },
    },
    hubOutage: reference?.hubOutage && {
      oursFirstAckMs: reference.hubOutage.ours.firstAckMs.median,
      referenceFirstAck: reference.hubOutage.reference.firstAckText,
      referenceOverOurs: reference.hubOutage.ratio,
      readingsLost: {
        ours: reference.hubOutage.ours.readingsLost,
        reference: reference.hubOutage.reference.readingsLost,
      },
    },
  }
}

async function main(): Promise<number> {
  let o: BenchOptions | 'help'
  try {
    o = parseOptions(process.argv.slice(2))
  } catch (e) {
    process.stderr.write(`bench: ${(e as Error).message}\n`)
    return 2
  }
  if (o === 'help') {
    process.stdout.write(helpText)
    return 0
  }
  const started = Date.now()
  const bench = await benchLab(o)
  // Interrupted: the lab, the child processes and the temporary folder go too.
  const interrupted = (signal: NodeJS.Signals) => {
    bench.progress(`${signal}: stopping`)
    void bench.stop().finally(() => process.exit(130))
  }
  process.once('SIGINT', interrupted)
  process.once('SIGTERM', interrupted)
  const results: Results = {}
  const errors: Partial<Record<ScenarioName, string>> = {}
  try {
    for (const name of o.only) {
      bench.progress(`${name}…`)
      const t = Date.now()
      try {
        results[name] = await scenarios[name](bench)
      } catch (e) {
        // One broken scenario is reported, and the others still run.
        errors[name] = (e as Error).stack ?? String(e)
        bench.progress(`${name} failed: ${(e as Error).message}`)
      }
      bench.progress(`${name} done in ${((Date.now() - t) / 1000).toFixed(1)} s`)
    }
  } finally {
    await bench.stop()
  }
  const { only: _only, ...options } = o
  const document = {
    when: new Date().toISOString(),
    machine: { node: process.version, cpus: cpus().length, cpu: cpus()[0]?.model ?? null },
    options,
    scenarios: o.only,
    durationSec: Math.round((Date.now() - started) / 1000),
    headline: headline(results),
    ...results,
    ...(Object.keys(errors).length ? { errors } : {}),
  }
  process.stderr.write(summaryTable(document) + '\n')
  await new Promise<void>((resolve) =>
    process.stdout.write(JSON.stringify(document, null, 2) + '\n', () => resolve()),
  )
  return Object.keys(errors).length ? 1 : 0
}

main().then(
  (code) => process.exit(code),
  (e: unknown) => {
    process.stderr.write(`bench: ${(e as Error).stack ?? String(e)}\n`)
    process.exit(1)
  },
)
