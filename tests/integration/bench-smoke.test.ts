import { spawn } from 'node:child_process'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'

// `npm run bench` end to end with tiny sizes, so the harness never rots: every scenario runs on
// its own private lab and reports every field. Nothing here looks at how fast anything was;
// what it asserts is behaviour the figures rest on (nothing lost, in order, all received).

const root = join(import.meta.dirname, '../..')
const tiny = [
  ...['--runs', '1', '--telemetry-ms', '100', '--keepalive', '2'],
  ...['--dps-retry-after', '0', '--dps-detect', '1', '--rebalance', '1'],
  ...['--reference-runs', '1', '--reference-cap', '3', '--outage-runs', '1'],
  ...['--crash-messages', '20', '--crash-burst', '1000'],
  ...['--soak-seconds', '3', '--soak-period-ms', '50'],
  ...['--messages', '300', '--throughput-runs', '1'],
  ...['--ui-entries', '500', '--ui-minutes', '1', '--ui-telemetry-ms', '1000'],
  ...['--fleet-devices', '10', '--fleet-dps-rate', '600', '--fleet-telemetry-sec', '1'],
  ...['--fleet-scale', '12', '--fleet-shards-devices', '12'],
]

function bench(args: string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(
      process.execPath,
      ['--import', 'tsx', join(root, 'bench/run.ts'), ...args],
      {
        cwd: root,
        stdio: ['ignore', 'pipe', 'pipe'],
      },
    )
    let stdout = ''
    let stderr = ''
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()))
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()))
    child.on('error', reject)
    child.on('close', (code) => resolve({ code, stdout, stderr }))
  })
}

const stat = { median: expect.any(Number), min: expect.any(Number), max: expect.any(Number) }
const move = { detectMs: stat, connectedMs: stat, firstAckMs: stat }

describe('npm run bench (tiny sizes)', () => {
  it('prints --help', async () => {
    const r = await bench(['--help'])
    expect(r.code).toBe(0)
    expect(r.stdout).toMatch(/--reference-cap/)
  })

  it('prints one JSON document with every scenario, and a table on stderr', async () => {
    const r = await bench(tiny)
    expect(r.stderr).not.toMatch(/ERRORS/)
    expect(r.code).toBe(0)
    const doc = JSON.parse(r.stdout)
    expect(r.stderr).toMatch(/manual failover → first ack/)

    expect(doc.headline).toMatchObject({
      oursManualFailoverFirstAckMs: expect.any(Number),
      floorMs: expect.any(Number),
      failoverOverFloor: expect.any(Number),
      manualFailover: { oursFirstAckMs: expect.any(Number), referenceFirstAck: expect.any(String) },
      hubOutage: { oursFirstAckMs: expect.any(Number), referenceFirstAck: expect.any(String) },
    })
    expect(doc.failover.failover).toMatchObject({ connectedMs: stat, firstAckMs: stat })
    expect(doc.failover.failback).toMatchObject({ connectedMs: stat, firstAckMs: stat })
    expect(doc.restart.cachedHub).toMatchObject({ ...stat, dpsCalls: 0 })
    expect(doc.restart.throughDps.dpsCalls).toBeGreaterThan(0)
    expect(doc.floor).toMatchObject({ totalMs: stat, registerMs: stat, connectMs: stat })

    for (const event of ['manualFailover', 'hubOutage']) {
      const vs = doc.reference[event]
      expect(vs.ours.firstAckMs).toMatchObject(stat)
      expect(vs.ours.readingsLost).toEqual([0])
      // The reference pattern cannot get back within a 3 s cap: reported as such, with its losses.
      expect(vs.reference.firstAckText).toMatch(/> 3 s/)
      expect(vs.reference.readingsLost[0]).toBeGreaterThan(0)
      expect(vs.ratioIsLowerBound).toBe(true)
    }

    for (const mode of ['kill', 'blackhole']) {
      expect(doc.outage[mode].failover).toMatchObject(move)
      expect(doc.outage[mode].failback).toMatchObject(move)
    }
    expect(doc.outage.missing).toBe(0)

    for (const mode of ['session', 'groupCommit']) {
      const c = doc.crash[mode]
      expect(c.queuedReported).toBeGreaterThan(0)
      // Every reading the killed process said was queued arrived, once, in order.
      expect(c).toMatchObject({ missingOfReported: 0, outOfOrder: 0, duplicates: 0 })
      expect(c.delivered).toBeGreaterThanOrEqual(c.queuedReported)
      expect(c.drainMs).toEqual(expect.any(Number))
    }

    expect(doc.soak).toMatchObject({ missing: 0, outOfOrder: 0, queuedAtEnd: 0 })
    expect(doc.soak.chaosEvents).toBeGreaterThan(0)
    expect(doc.soak.maxLatencyMs).toEqual(expect.any(Number))

    for (const key of [
      'rawMqttJs',
      'engineDrain',
      'engineBurstGroupCommit',
      'engineBurstOneByOne',
    ]) {
      expect(doc.throughput[key]).toMatchObject({
        perSecond: expect.any(Number),
        cpuMsPer1000: expect.any(Number),
        peakRssMB: expect.any(Number),
        receivedUnique: 300,
      })
    }

    // Every corpus template but the three known refusals loads; both templates' messages arrive.
    expect(doc.templates.load.corpus.loaded).toBe(doc.templates.load.corpus.files - 3)
    expect(doc.templates.load.largest).toMatchObject({
      bytes: expect.any(Number),
      ms: expect.any(Number),
    })
    for (const t of ['thirtyFields', 'sample'])
      expect(doc.templates.perMessage[t]).toMatchObject({
        generateUs: expect.any(Number),
        engineAndLab: { messages: expect.any(Number), cpuUsPerMessage: expect.any(Number) },
      })
    expect(doc.templates.perMessage.thirtyFields.fields).toBe(30)

    // The fleet: an outage wave and its failback, each against its floor; scale; four shards.
    for (const w of ['failover', 'failback'])
      expect(doc.fleet.outage[w]).toMatchObject({
        devices: expect.any(Number),
        floorMs: expect.any(Number),
        p100OverFloor: expect.any(Number),
      })
    expect(doc.fleet.outage).toMatchObject({ lost: 0, duplicates: 0, missing: 0 })
    expect(doc.fleet.outage.rssPerDeviceKB).toEqual(expect.any(Number))
    expect(doc.fleet.scale).toMatchObject({ devices: 12, notConnectedAtEnd: 0, lost: 0 })
    expect(doc.fleet.shards).toMatchObject({ devices: 12, processes: 4, lost: 0 })

    if (doc.ui.skipped) return // no Chromium on this machine: said so in the document
    expect(doc.ui).toMatchObject({
      loadMs: expect.any(Number),
      scroll: { longestFrameMs: expect.any(Number) },
      filter: { longestFrameMs: expect.any(Number) },
      plotLive: { longestFrameMs: expect.any(Number) },
      heapUsedMB: expect.any(Number),
    })
    expect(doc.ui.timelineEntries).toBeGreaterThanOrEqual(500)
  }, 300_000)
})
