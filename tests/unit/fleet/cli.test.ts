import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { createServer } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'
import { main } from '../../../electron/fleet/cli'
import { device, report } from './reports'
import { testIo } from './test-io'

const dir = mkdtempSync(join(tmpdir(), 'fleet-cli-'))
afterAll(() => rmSync(dir, { recursive: true, force: true }))
const badTemplate = join(dir, 'bad.json')
writeFileSync(
  badTemplate,
  JSON.stringify({
    '@context': 'dtmi:dtdl:context;2',
    '@id': 'dtmi:test:Bad;1',
    '@type': 'Interface',
    contents: [{ '@type': 'Telemetry', name: 'temp', schema: 'bogus' }],
  }),
)
const key = Buffer.alloc(64, 7).toString('base64')

async function run(argv: string[], env: NodeJS.ProcessEnv = {}) {
  const t = testIo(env)
  const code = await main(argv, t.io)
  return { code, out: t.stdout(), err: t.stderr() }
}

describe('fleet CLI: bad input is one line and exit code 2, before anything starts', () => {
  it.each([
    [[], /--devices: how many devices/],
    [
      ['--devices', '0', '--duration', '1m'],
      /--devices: a whole number from 1 to 1,000,000 \(got 0\)/,
    ],
    [['--devices', '10000000', '--duration', '1m'], /from 1 to 1,000,000/],
    [
      ['--devices', '200000', '--duration', '1h'],
      /200,000 devices in one process; at most 100,000/,
    ],
    [
      ['--devices', '10', '--duration', 'abc'],
      /--duration abc: give a time such as 90s, 10m or 1h30m/,
    ],
    [['--devices', '10'], /--duration: how long to run/],
    [
      ['--devices', '10', '--duration', '1m', '--template', badTemplate],
      /does not load: contents\[0\]\.schema/,
    ],
    [['--devices', '10', '--duration', '1m', '--template', join(dir, 'none.json')], /no such file/],
    [
      ['--devices', '10', '--duration', '1m', '--shards', '3'],
      /--shards K and --shard I go together/,
    ],
    [['--devices', '10', '--duration', '1m', '--shards', '3', '--shard', '3'], /0 to 2/],
    [
      ['--devices', '10', '--duration', '1m', '--processes', '2', '--shards', '2', '--shard', '0'],
      /makes its own shards/,
    ],
    [
      ['--devices', '10', '--duration', '1m', '--processes', '2', '--until-settled'],
      /--until-settled ends one runner .* without --processes/,
    ],
    [['--devices', '10', '--duration', '1m', '--prefix', 'bad id'], /--prefix: letters, digits/],
    [
      ['--devices', '10', '--duration', '1m', '--lab-url', 'http://example.com:8090'],
      /answers on this machine only/,
    ],
    [
      ['--devices', '10', '--duration', '1m', '--lab-url', 'http://127.0.0.1:8090'],
      /needs the group key: set FLEET_GROUP_KEY/,
    ],
    [
      ['--devices', '10', '--duration', '1m', '--id-scope', '0ne00ABCDEF'],
      /--id-scope needs the group key/,
    ],
    [['--devices', '10', '--duration', '1m', '--id-scope', '!'], /--id-scope: id scope/],
    [
      [
        '--devices',
        '10',
        '--duration',
        '1m',
        '--id-scope',
        '0ne00ABCDEF',
        '--scenario',
        '5s failover 10%',
      ],
      /against an IoT Central app it cannot/,
    ],
    [
      ['--devices', '10', '--duration', '1m', '--scenario', '5s meteor'],
      /step 1 "5s meteor": unknown action/,
    ],
    [
      ['--devices', '10', '--duration', '1m', '--group-key-file', '/k'],
      /the embedded lab brings its own/,
    ],
    [
      ['--devices', '100000', '--duration', '10m'],
      /takes 16m40s at 100 connects\/s; --duration 10m ends first/,
    ],
    [
      ['--devices', '10', '--duration', '1m', '--report', join(dir, 'no/such/dir/r.json')],
      /does not exist/,
    ],
    [['--devices', '10', '--duration', '1m', '--frobnicate'], /unknown option --frobnicate/],
    [
      ['--devices', '10', '--duration', '1m', '--start-at', 'tomorrow'],
      /--start-at tomorrow: give an ISO 8601 time/,
    ],
    [['merge'], /give the report files/],
  ])('%j', async (argv, why) => {
    const r = await run(argv)
    expect(r.code).toBe(2)
    expect(r.err).toMatch(why)
    expect(r.err.trim().split('\n')).toHaveLength(1)
    expect(r.err).toMatch(/^fleet: /)
    expect(r.out).toBe('')
  })

  it('a key that is not base64 is refused without being echoed', async () => {
    const r = await run(['--devices', '10', '--duration', '1m', '--id-scope', '0ne00ABCDEF'], {
      FLEET_GROUP_KEY: 'not-a-key-$ecret!',
    })
    expect(r.code).toBe(2)
    expect(r.err).toMatch(/the group key \(FLEET_GROUP_KEY\): key must be base64/)
    expect(r.err).not.toContain('$ecret')
  })

  it('an unreachable lab is a runtime error (1), in one line', async () => {
    // A port that was free a moment ago: nothing listens there.
    const port = await new Promise<number>((resolve) => {
      const s = createServer().listen(0, '127.0.0.1', () => {
        const p = (s.address() as { port: number }).port
        s.close(() => resolve(p))
      })
    })
    const r = await run(
      ['--devices', '3', '--duration', '1m', '--lab-url', `http://127.0.0.1:${port}`],
      {
        FLEET_GROUP_KEY: key,
      },
    )
    expect(r.code).toBe(1)
    expect(r.err).toMatch(
      /^fleet: lab GET \/lab: cannot reach http:\/\/127\.0\.0\.1:\d+ \(ECONNREFUSED\)/,
    )
    expect(r.err).not.toContain(key)
  })

  it('--help prints the usage with the scenario grammar and exits 0', async () => {
    const r = await run(['--help'])
    expect(r.code).toBe(0)
    expect(r.out).toMatch(/--shards K --shard I/)
    expect(r.out).toMatch(/outage <a\|b> <DURATION> \[blackhole\]/)
  })

  it('merge writes the merged report and its summary', async () => {
    const a = join(dir, 'a.json')
    const b = join(dir, 'b.json')
    writeFileSync(a, JSON.stringify(report([device(0)], [], { ranges: [{ from: 0, to: 50 }] })))
    writeFileSync(b, JSON.stringify(report([device(50)], [], { ranges: [{ from: 50, to: 100 }] })))
    const r = await run(['merge', a, b])
    expect(r.code).toBe(0)
    const merged = JSON.parse(r.out)
    expect(merged.devices.map((d: { id: string }) => d.id)).toEqual(['fleet-0', 'fleet-50'])
    expect(r.err).toMatch(/^fleet: 2 of 100 devices/)
    const bad = await run(['merge', a, a])
    expect(bad.code).toBe(2)
    expect(bad.err).toMatch(/fleet-0 is in both/)
  })
})
