import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest'
import { main } from '../../../lab/cli'
import type { ModelReport } from '../../../shared/dtdl/types'

// `lizard model check`, run in this process as the CLI runs it: no lab is needed or looked for.

let dir: string
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'lab-model-check-'))
})
afterEach(() => {
  rmSync(dir, { recursive: true, force: true })
  vi.restoreAllMocks()
})

const iface = (id: string, contents: unknown[]) =>
  JSON.stringify({ '@context': 'dtmi:dtdl:context;2', '@id': id, '@type': 'Interface', contents })

const thermostat = iface('dtmi:com:example:Thermostat;1', [
  { '@type': 'Telemetry', name: 'temperature', schema: 'double' },
  { '@type': 'Property', name: 'targetTemperature', schema: 'double', writable: true },
])
const controller = iface('dtmi:com:example:Controller;1', [
  { '@type': 'Component', name: 'thermostat1', schema: 'dtmi:com:example:Thermostat;1' },
  { '@type': 'Command', name: 'reboot' },
  { '@type': 'Relationship', name: 'parent' },
])
const broken = iface('dtmi:com:example:Broken;1', [
  { '@type': 'Telemetry', name: 'temp', schema: 'doubel' },
])

const put = (rel: string, text: string) => {
  const p = join(dir, rel)
  mkdirSync(join(p, '..'), { recursive: true })
  writeFileSync(p, text)
  return p
}

async function lizard(...argv: string[]) {
  let stdout = ''
  let stderr = ''
  vi.spyOn(process.stdout, 'write').mockImplementation((s) => ((stdout += String(s)), true))
  vi.spyOn(process.stderr, 'write').mockImplementation((s) => ((stderr += String(s)), true))
  try {
    const code = await main(argv)
    return { code, stdout, stderr }
  } finally {
    vi.restoreAllMocks()
  }
}

describe('lizard model check', () => {
  it('exits 0 when every template loads, saying what is emulated and what is not', async () => {
    const models = join(dir, 'models')
    put('models/dtmi/com/example/thermostat-1.json', thermostat)
    const file = put('controller.json', controller)
    const r = await lizard('model', 'check', '--models', models, file)
    expect(r).toMatchObject({ code: 0, stderr: '' })
    expect(r.stdout).toContain(`${file}: loads — dtmi:com:example:Controller;1`)
    expect(r.stdout).toContain(
      'emulated: 1 component, 1 telemetry, 1 property (1 writable), 1 command',
    )
    expect(r.stdout).toMatch(/left to the cloud:\n\s+contents\[2\]\s+relationship parent: /)
  })

  it('exits 1 when one does not load, with every problem and its place', async () => {
    const good = put('good.json', thermostat)
    const bad = put('bad.json', broken)
    const r = await lizard('model', 'check', good, bad)
    expect(r.code).toBe(1)
    expect(r.stdout).toContain(`${bad}: does not load (1 problem)`)
    expect(r.stdout).toMatch(/contents\[0\]\.schema: .*doubel.*did you mean 'double'/)
    expect(r.stdout).toContain('2 templates: 1 load, 1 does not')
  })

  it('reads a folder as templates that resolve against each other and the folder', async () => {
    put('set/a-controller.json', controller)
    put('set/b-thermostat.json', thermostat)
    const r = await lizard('model', 'check', '--json', join(dir, 'set'))
    expect(r.code).toBe(0)
    const reports = JSON.parse(r.stdout) as ModelReport[]
    expect(reports.map((x) => [x.modelId, x.loaded, x.counts?.components])).toEqual([
      ['dtmi:com:example:Controller;1', true, 1],
      ['dtmi:com:example:Thermostat;1', true, 0],
    ])
    expect(reports[0]!.leftToCloud.map((a) => a.what)).toEqual(['relationship parent'])
  })

  it('prints machine-readable reports with --json, failures included', async () => {
    const r = await lizard('model', 'check', '--json', put('bad.json', broken))
    expect(r.code).toBe(1)
    const [report] = JSON.parse(r.stdout) as ModelReport[]
    expect(report).toMatchObject({ loaded: false, modelId: null, counts: null })
    expect(report!.problems[0]).toMatchObject({ path: 'contents[0].schema' })
  })

  it('exits 2 on usage errors: no files, an unknown flag, a path it cannot read', async () => {
    const none = await lizard('model', 'check')
    expect(none.code).toBe(2)
    expect(none.stderr).toMatch(/usage: lizard model check/)
    const flag = await lizard('model', 'check', '--strict', put('t.json', thermostat))
    expect(flag).toMatchObject({ code: 2, stderr: 'lizard: unknown option --strict\n' })
    const missing = join(dir, 'missing.json')
    const gone = await lizard('model', 'check', put('t2.json', thermostat), missing)
    expect(gone).toMatchObject({ code: 2, stderr: `lizard: ${missing}: no such file or folder\n` })
    const noModels = await lizard('model', 'check', '--models', join(dir, 'nope'), join(dir))
    expect(noModels.code).toBe(2)
    expect(noModels.stderr).toContain(`--models ${join(dir, 'nope')}: no such folder`)
    mkdirSync(join(dir, 'empty'))
    const empty = await lizard('model', 'check', join(dir, 'empty'))
    expect(empty).toMatchObject({ code: 2 })
    expect(empty.stderr).toContain('no .json files')
  })

  it('is in lizard --help', async () => {
    const r = await lizard('--help')
    expect(r.code).toBe(0)
    expect(r.stdout).toContain('model check [--models DIR] <file|folder>…')
    expect(r.stdout).toContain('conformance <deviceId>')
  })
})
