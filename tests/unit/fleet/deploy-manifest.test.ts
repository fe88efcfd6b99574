import { mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'
import { parseArgs, type RunArgs } from '../../../electron/fleet/args'
import { shardRange } from '../../../electron/fleet/shards'
import { groupKeyEnv } from '../../../electron/fleet/target'

// The Kubernetes Job cannot run here; its contract with the CLI can be read. The manifest is
// read as text (block lists and `key: value` lines, as it is written), then its args are given
// to the CLI's own parser, index by index, as the pods would run them.

const root = join(import.meta.dirname, '../../..')
const text = readFileSync(join(root, 'deploy/fleet-job.yaml'), 'utf8')
const docs = text.split(/^---$/m)
const job = docs.find((d) => /^kind: Job$/m.test(d))!
const reports = mkdtempSync(join(tmpdir(), 'fleet-deploy-'))
afterAll(() => rmSync(reports, { recursive: true, force: true }))

const field = (doc: string, name: string) =>
  doc.match(new RegExp(`^\\s*${name}: *'?([^'\\n]*)'?$`, 'm'))?.[1]

/** The items of the block list under `args:`. */
function args(): string[] {
  const lines = job.split('\n')
  const start = lines.findIndex((l) => /^\s*args:\s*$/.test(l))
  const items: string[] = []
  for (const l of lines.slice(start + 1)) {
    const m = l.match(/^\s*- '(.*)'$/)
    if (m) items.push(m[1]!)
    else if (/^\s*#/.test(l)) continue
    else break
  }
  return items
}

/** env entries: name → what they come from. */
function env(): Map<string, string> {
  const out = new Map<string, string>()
  const parts = job.split(/^\s*- name: /m).slice(1)
  for (const p of parts) {
    const name = p.split('\n')[0]!.trim()
    if (!/^[A-Z_]+$/.test(name)) continue
    const from = p.match(/(fieldRef|configMapKeyRef|secretKeyRef):[\s\S]*?(?:fieldPath|key): *(.+)/)
    if (from) out.set(name, `${from[1]} ${from[2]!.trim()}`)
  }
  return out
}

const config = docs.find((d) => /^kind: ConfigMap$/m.test(d))!
const sample: Record<string, string> = {
  ID_SCOPE: field(config, 'ID_SCOPE')!,
  DPS_HOST: field(config, 'DPS_HOST')!,
  START_AT: field(config, 'START_AT')!,
}

/** The args one pod runs: $(VAR) expanded as the kubelet does, reports in a local folder. */
function podArgs(index: number): string[] {
  return args().map((a) =>
    a
      .replace(/\$\((\w+)\)/g, (_, v: string) =>
        v === 'JOB_COMPLETION_INDEX' ? String(index) : sample[v]!,
      )
      .replace(/^\/reports\//, `${reports}/`),
  )
}

describe('deploy/fleet-job.yaml', () => {
  it('is an Indexed Job that never runs one index in two pods at once', () => {
    expect(field(job, 'completionMode')).toBe('Indexed')
    expect(field(job, 'podReplacementPolicy')).toBe('Failed')
    expect(Number(field(job, 'backoffLimitPerIndex'))).toBeGreaterThanOrEqual(0)
    expect(field(job, 'restartPolicy')).toBe('Never')
    expect(field(job, 'completions')).toBe(field(job, 'parallelism'))
  })

  it('hands the shard from JOB_COMPLETION_INDEX (downward API) to --shard, and completions to --shards', () => {
    const a = args()
    expect(a[a.indexOf('--shard') + 1]).toBe('$(JOB_COMPLETION_INDEX)')
    expect(a[a.indexOf('--shards') + 1]).toBe(field(job, 'completions'))
    expect(env().get('JOB_COMPLETION_INDEX')).toBe(
      "fieldRef metadata.annotations['batch.kubernetes.io/job-completion-index']",
    )
  })

  it('takes the id scope from the ConfigMap and the group key from a Secret, under the name the CLI reads', () => {
    const e = env()
    expect(e.get('ID_SCOPE')).toBe('configMapKeyRef ID_SCOPE')
    expect(args()).toContain('$(ID_SCOPE)')
    expect(e.get(groupKeyEnv)).toBe(`secretKeyRef ${groupKeyEnv}`)
    // The key is never in the args (a pod's spec is readable by more people than its secrets).
    expect(args().join(' ')).not.toMatch(/group-key|FLEET_GROUP_KEY/)
  })

  it('keeps outboxes on an emptyDir, mounted where --data-dir points', () => {
    const a = args()
    expect(a[a.indexOf('--data-dir') + 1]).toBe('/outbox')
    expect(job).toMatch(/mountPath: \/outbox/)
    expect(job).toMatch(/- name: outbox\n\s+emptyDir: \{\}/)
  })

  it('runs, index by index, the shards the CLI makes: disjoint and together the whole fleet', () => {
    const k = Number(field(job, 'completions'))
    const parsed = Array.from(
      { length: k },
      (_, i) => parseArgs(podArgs(i), Date.parse(sample.START_AT!) - 60_000) as RunArgs,
    )
    const n = parsed[0]!.devices
    let next = 0
    parsed.forEach((p, i) => {
      expect(p.command).toBe('run')
      expect(p).toMatchObject({
        shards: k,
        shard: i,
        processes: 1,
        target: { kind: 'iot-central', idScope: sample.ID_SCOPE },
      })
      expect(p.range).toEqual(shardRange(n, k, i))
      expect(p.range.from).toBe(next)
      next = p.range.to
      expect(p.report).toBe(join(reports, `shard-${i}.json`))
    })
    expect(next).toBe(n)
  })
})
