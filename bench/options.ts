// `npm run bench -- [options]`: what can be set, its default, and the --help text built from it.

export const scenarioNames = [
  'failover',
  'restart',
  'floor',
  'reference',
  'outage',
  'crash',
  'soak',
  'throughput',
  'ui',
  'templates',
  'fleet',
] as const
export type ScenarioName = (typeof scenarioNames)[number]

interface NumberOption {
  name: string
  fallback: number
  help: string
  /** The least value that makes sense: 1 unless said (a count of 0 has nothing to measure). */
  min?: number
}

const numberOptions = [
  { name: 'runs', fallback: 7, help: 'repetitions of failover/failback, hub restart and floor' },
  {
    name: 'telemetry-ms',
    fallback: 100,
    help: 'telemetry period of ours and of the reference pattern in failover, reference and outage runs',
  },
  {
    name: 'keepalive',
    fallback: 10,
    help: 'MQTT keep-alive (s) of our engine outside the soak (the engine default)',
  },
  {
    name: 'dps-retry-after',
    min: 0,
    fallback: 1,
    help: 'seconds the lab DPS asks a device to wait before polling (real DPS: about 3)',
  },
  {
    name: 'dps-detect',
    min: 0,
    fallback: 10,
    help: 'seconds until the lab DPS notices a dead hub (lab default)',
  },
  {
    name: 'rebalance',
    min: 0,
    fallback: 30,
    help: 'seconds after a restore until the lab DPS moves devices home (lab default)',
  },
  {
    name: 'reference-runs',
    fallback: 1,
    help: 'side-by-side runs of the reference pattern per event (each can take minutes)',
  },
  {
    name: 'reference-cap',
    fallback: 300,
    help: 'seconds the reference pattern is given to reach the other hub before "> cap"',
  },
  { name: 'outage-runs', fallback: 3, help: 'kill and blackhole outages of the home hub, each' },
  {
    name: 'crash-messages',
    fallback: 300,
    help: 'readings an offline app journals, one at a time, before it is killed',
  },
  {
    name: 'crash-burst',
    fallback: 10_000,
    help: 'readings an offline engine journals in groups (group commit) before it is killed',
  },
  { name: 'soak-seconds', fallback: 60, help: 'length of the chaos soak' },
  { name: 'soak-period-ms', fallback: 50, help: 'telemetry period during the soak' },
  { name: 'messages', fallback: 20_000, help: 'messages per throughput run' },
  { name: 'throughput-runs', fallback: 3, help: 'throughput runs per contender (median reported)' },
  {
    name: 'ui-entries',
    fallback: 10_000,
    help: 'timeline entries in the browser (the engine keeps 10,000)',
  },
  { name: 'fleet-devices', fallback: 1000, help: 'devices in the fleet outage wave' },
  {
    name: 'fleet-dps-rate',
    fallback: 200,
    help: "the lab DPS's registrations per minute during the fleet's outage (IoT Central's)",
  },
  { name: 'fleet-telemetry-sec', fallback: 10, help: 'telemetry period of every fleet device (s)' },
  { name: 'fleet-scale', fallback: 5000, help: 'devices one fleet process holds in the scale run' },
  {
    name: 'fleet-shards-devices',
    fallback: 10_000,
    help: 'devices of the four local shards run together',
  },
  { name: 'ui-minutes', fallback: 30, help: 'minutes of telemetry history in the plot' },
  { name: 'ui-telemetry-ms', fallback: 100, help: 'period of that history' },
] as const satisfies readonly NumberOption[]

type OptionName = (typeof numberOptions)[number]['name']
type Camel<S extends string> = S extends `${infer H}-${infer T}` ? `${H}${Capitalize<Camel<T>>}` : S

export type BenchOptions = { [K in OptionName as Camel<K>]: number } & {
  only: ScenarioName[]
}

const camel = (s: string) => s.replace(/-([a-z])/g, (_, c: string) => c.toUpperCase())

export const helpText = `npm run bench -- [options]

Runs every scenario on one private lab (127.0.0.1, ephemeral ports) and prints one JSON
document on stdout; progress and a summary table go to stderr. Benchmarks report numbers;
they never pass or fail on timing. What each figure means: bench/README.md.

Options (defaults in brackets):
${numberOptions.map((o) => `  --${o.name.padEnd(17)} ${o.help} [${o.fallback}]`).join('\n')}
  --only LIST         comma-separated scenarios to run [all]: ${scenarioNames.join(', ')}
  --help              this text
`

/** Parses argv; throws with a one-line message on a bad option. */
export function parseOptions(argv: string[]): BenchOptions | 'help' {
  const out: Record<string, unknown> = Object.fromEntries(
    numberOptions.map((o) => [camel(o.name), o.fallback]),
  )
  out['only'] = [...scenarioNames]
  for (let i = 0; i < argv.length; i++) {
    const flag = argv[i]!
    if (flag === '--help' || flag === '-h') return 'help'
    const value = argv[i + 1]
    if (flag === '--only') {
      const names = (value ?? '').split(',').filter(Boolean)
      const unknown = names.filter((n) => !(scenarioNames as readonly string[]).includes(n))
      if (names.length === 0 || unknown.length)
        throw new Error(`--only takes scenario names (${scenarioNames.join(', ')})`)
      out['only'] = names
      i++
      continue
    }
    const option = numberOptions.find((o) => `--${o.name}` === flag)
    if (!option) throw new Error(`unknown option ${flag} (see --help)`)
    const n = Number(value)
    const min = (option as NumberOption).min ?? 1
    if (value === undefined || value.trim() === '' || !Number.isFinite(n) || n < min)
      throw new Error(`${flag} takes a number ≥ ${min}`)
    out[camel(option.name)] = n
    i++
  }
  return out as BenchOptions
}
