import { mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, expect, it } from 'vitest'
import { main } from '../../electron/fleet/cli'
import type { FleetReport } from '../../electron/fleet/report'
import { testIo } from '../unit/fleet/test-io'

// --processes: the shards as real child processes of the runner, one lab for all of them, their
// reports merged into one.

const dir = mkdtempSync(join(tmpdir(), 'fleet-procs-'))
afterAll(() => rmSync(dir, { recursive: true, force: true }))

it('--processes 2 runs 10 devices as two shards and merges them into one report', async () => {
  const file = join(dir, 'merged.json')
  const t = testIo()
  const code = await main(
    [
      '--devices',
      '10',
      '--duration',
      '8s',
      '--telemetry',
      '500ms',
      '--processes',
      '2',
      '--report',
      file,
    ],
    t.io,
  )
  expect(t.stderr()).not.toMatch(/^fleet: (?!10 of 10)/m)
  expect(code).toBe(0)
  const r = JSON.parse(readFileSync(file, 'utf8')) as FleetReport
  expect(r.devices.map((d) => d.id)).toEqual(Array.from({ length: 10 }, (_, i) => `fleet-${i}`))
  expect(r.fleet).toMatchObject({
    devices: 10,
    shards: 2,
    ranges: [{ from: 0, to: 10 }],
    ended: 'completed',
  })
  expect(r.processes.map((p) => [p.shard, p.devices])).toEqual([
    [0, 5],
    [1, 5],
  ])
  expect(r.totals).toMatchObject({ devices: 10, lost: 0, duplicates: 0, notConnectedAtEnd: 0 })
  expect(r.totals.acknowledged).toBeGreaterThan(0)
  expect(r.notes).toEqual([])
})
