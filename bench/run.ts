import { cpus } from 'node:os'
import { benchFailover, benchHubRestart } from './failover'
import { benchLab } from './setup'
import { benchSoak } from './soak'
import { benchThroughput } from './throughput'

// `npm run bench`: every figure side by side, as one JSON document on stdout.
// Options: --runs N (default 7), --soak-seconds N (default 30), --messages N (default 5000),
// --dps-retry-after S (what the lab's DPS asks devices to wait before polling; default 1).

function arg(name: string, fallback: number): number {
  const i = process.argv.indexOf(`--${name}`)
  const v = i > 0 ? Number(process.argv[i + 1]) : fallback
  if (!Number.isFinite(v) || v < 0) throw new Error(`--${name} takes a number`)
  return v
}

async function main(): Promise<void> {
  const runs = arg('runs', 7)
  const soakSeconds = arg('soak-seconds', 30)
  const messages = arg('messages', 5000)
  const dpsRetryAfterSec = arg('dps-retry-after', 1)
  const bench = await benchLab(dpsRetryAfterSec)
  const progress = (s: string) => process.stderr.write(`bench: ${s}\n`)
  try {
    progress(`failover and failback ×${runs}`)
    const failover = await benchFailover(bench, runs)
    progress(`hub restart ×${runs}, cached hub first`)
    const cached = await benchHubRestart(bench, runs, true)
    progress(`hub restart ×${runs}, through DPS every time`)
    const viaDps = await benchHubRestart(bench, runs, false)
    progress(`chaos soak ${soakSeconds} s`)
    const soak = await benchSoak(bench, soakSeconds * 1000, 50)
    progress(`throughput, ${messages} messages`)
    const throughput = await benchThroughput(bench, messages)
    const result = {
      when: new Date().toISOString(),
      machine: { node: process.version, cpus: cpus().length },
      lab: { dpsRetryAfterSec, telemetryPeriodMs: 100, keepAliveSec: 2 },
      failover: { runs, ...failover },
      hubRestartReconnectMs: { cachedHub: cached, throughDps: viaDps },
      chaosSoak: soak,
      throughput,
    }
    process.stdout.write(JSON.stringify(result, null, 2) + '\n')
  } finally {
    await bench.stop()
  }
}

main().catch((e: unknown) => {
  process.stderr.write(`bench: ${(e as Error).stack ?? String(e)}\n`)
  process.exit(1)
})
