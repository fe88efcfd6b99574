import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { createInterface } from 'node:readline'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { TimelineCause } from '../../shared/timeline'
import { api, testLab } from '../support/lab'
import { spawnFixture } from './fixtures/engine'

// The provisioning SDK throws "callback is not a function" outside any promise when DPS drops
// its connection between CONNACK and SUBACK. It must cost one registration attempt, not the process.

let lab: Awaited<ReturnType<typeof testLab>>

beforeAll(async () => {
  lab = await testLab()
})
afterAll(async () => {
  await lab?.stop()
})

/** Runs a fixture to its end: its exit code and what it printed. */
async function runFixture(script: string, deviceId: string) {
  const dataDir = mkdtempSync(join(tmpdir(), 'engine-sdk-'))
  try {
    const child = spawnFixture(lab, script, { deviceId, dataDir })
    const exited = new Promise<number | null>((resolve) =>
      child.on('exit', (code) => resolve(code)),
    )
    const lines: string[] = []
    for await (const line of createInterface({ input: child.stdout })) lines.push(line)
    return { code: await exited, lines }
  } finally {
    rmSync(dataDir, { recursive: true, force: true })
  }
}

/**
 * The fixture exited by itself (code 0) once connected, after exactly one failed registration
 * whose problem is `problem`, retried after a wait.
 */
function expectOneLostRegistration(run: { code: number | null; lines: string[] }, problem: RegExp) {
  expect(run.code).toBe(0)
  const causes = run.lines.map((l) => JSON.parse(l) as TimelineCause)
  expect(causes.map((c) => c.code)).toEqual([
    'dps-register',
    'wait',
    'dps-register',
    'dps-assigned',
    'connected',
  ])
  expect(causes[1]).toMatchObject({
    code: 'wait',
    why: { code: 'dps-failed', problem: { kind: expect.stringMatching(problem) } },
  })
}

describe('an SDK fault on a dropped DPS connection', () => {
  it('DPS resetting the connection between CONNACK and SUBACK (the SDK throws): the device connects', async () => {
    expectOneLostRegistration(await runFixture('dps-reset.ts', 'unused'), /^(dropped|unreachable)$/)
  })

  it('DPS closing the connection right after CONNACK costs one attempt: the device connects', async () => {
    await api(lab, 'POST', '/dps/drop-after-connack', { count: 1 })
    expectOneLostRegistration(await runFixture('connect-once.ts', 'eng-dps-drop'), /^dropped$/)
  })

  it('two copies registering one id at once: DPS drops one mid-handshake, both survive and connect', async () => {
    const { code, lines } = await runFixture('dps-race.ts', 'eng-dps-race')
    expect(lines.sort()).toEqual(['connected 0', 'connected 1'])
    expect(code).toBe(0)
  })
})
