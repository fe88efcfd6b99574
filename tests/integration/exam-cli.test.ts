import { spawn } from 'node:child_process'
import { mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { exam } from '../../lab/cli-exam'
import { api, testLab, waitFor } from '../support/lab'
import { provisionIn } from '../support/sdk-device'
import { connectFlowing, newSession } from './fixtures/engine'

// `lizard exam` as a user runs it: one-line errors with exit 2 for what cannot be examined, the
// --json shape, the JUnit and HTML files, and Ctrl+C (a real SIGINT to a real lizard process):
// the lab restored, what ran printed, exit 130.

let lab: Awaited<ReturnType<typeof testLab>>
let dir: string
const lizardEntry = join(import.meta.dirname, '../../scripts/entries/lizard.ts')

beforeAll(async () => {
  lab = await testLab({ dpsDetectSec: 1, rebalanceSec: 0 })
  dir = mkdtempSync(join(tmpdir(), 'exam-cli-'))
})
afterAll(async () => {
  await lab?.stop()
  rmSync(dir, { recursive: true, force: true })
})

async function run(...args: string[]): Promise<{ code: number; out: string; err: string }> {
  let out = ''
  let err = ''
  const code = await exam(args, {
    out: { write: (s: string) => (out += s) },
    err: { write: (s: string) => (err += s) },
    signal: new AbortController().signal,
  })
  return { code, out, err }
}

/** The error lines (progress lines are `lizard exam: …`). */
const errors = (err: string) => err.split('\n').filter((l) => l && !l.startsWith('lizard exam: '))

describe('lizard exam: what cannot be examined', () => {
  const cases: [string, string[], RegExp][] = [
    ['an unknown option', ['dev', '--bogus'], /unknown option --bogus/],
    ['an unknown event or check', ['dev', '--only', 'kill,nope'], /no event or check "nope"/],
    ['a time that is not one', ['dev', '--timeout', 'soon'], /--timeout takes a time like/],
    ['a time out of bounds', ['dev', '--end-wait', '2h'], /--end-wait takes 0s to 10m/],
    ['a bad device id', ['dev/../x'], /a device id may hold only/],
    ['two devices', ['one', 'two'], /one device at a time/],
    ['no device', [], /usage: lizard exam <deviceId>/],
    ['a report in no folder', ['dev', '--junit', '/nonexistent/x.xml'], /no such folder/],
  ]
  for (const [what, args, message] of cases)
    it(`${what}: one line, exit 2`, async () => {
      const r = await run(...args, '--url', lab.controlUrl)
      expect(r.code).toBe(2)
      expect(r.out).toBe('')
      expect(errors(r.err)).toHaveLength(1)
      expect(r.err).toMatch(message)
    })

  it('an unknown device, a device not connected, no lab: one line, exit 2', async () => {
    const unknown = await run('nobody-here', '--url', lab.controlUrl)
    expect(unknown.code).toBe(2)
    expect(errors(unknown.err)).toEqual([
      "lizard: nobody-here has never registered with this lab's DPS: start the device (npx lizard connect-info says how), then run the exam",
    ])
    await provisionIn(lab, 'exam-offline')
    const offline = await run('exam-offline', '--url', lab.controlUrl)
    expect(offline.code).toBe(2)
    expect(errors(offline.err)).toEqual([
      'lizard: exam-offline is not connected to the lab now (it has registered before): start it, then run the exam',
    ])
    const noLab = await run('dev', '--url', 'http://127.0.0.1:1')
    expect(noLab.code).toBe(2)
    expect(errors(noLab.err)).toHaveLength(1)
    expect(noLab.err).toMatch(/no lab answers at http:\/\/127\.0\.0\.1:1/)
  })

  it('--thresholds prints the table without a lab', async () => {
    const r = await run('--thresholds', '--url', 'http://127.0.0.1:1')
    expect(r.code).toBe(0)
    expect(r.out).toMatch(/back on the other hub/)
    expect(r.out).toMatch(/\*\.back/)
  })
})

describe('lizard exam: a scorecard', () => {
  it('--json is one object with a checks array; --junit and --html are written', async () => {
    const id = 'exam-cli-json'
    const { session, dispose } = newSession(lab, id)
    try {
      await connectFlowing(lab, session, id)
      const junit = join(dir, 'exam.xml')
      const html = join(dir, 'exam.html')
      const r = await run(
        id,
        '--url',
        lab.controlUrl,
        '--only',
        'restart',
        '--skip',
        'template',
        '--warmup',
        '3s',
        '--json',
        '--junit',
        junit,
        '--html',
        html,
      )
      const out = JSON.parse(r.out) as {
        deviceId: string
        verdict: string
        counts: Record<string, number>
        events: string[]
        checks: { id: string; status: string; figure: string; why: string }[]
      }
      expect(out).toMatchObject({ deviceId: id, events: ['restart'] })
      expect(out.checks.length).toBeGreaterThan(5)
      for (const c of out.checks) {
        expect(Object.keys(c).sort()).toEqual(['figure', 'id', 'status', 'why'])
        expect(['pass', 'warn', 'fail']).toContain(c.status)
      }
      const ids = out.checks.map((c) => c.id)
      expect(ids).toContain('restart.back')
      expect(ids).toContain('identity.model-id')
      expect(ids.some((i) => i.startsWith('template.'))).toBe(false)
      expect(ids.some((i) => i.startsWith('kill.'))).toBe(false)
      // Our engine: every check passed or warned, so exit 0.
      expect(out.checks.filter((c) => c.status === 'fail')).toEqual([])
      expect(r.code).toBe(0)
      expect(readFileSync(junit, 'utf8')).toContain(`<testsuite name="${id}"`)
      expect(readFileSync(html, 'utf8')).toMatch(/^<!doctype html>/)
    } finally {
      await dispose()
    }
  })

  it('Ctrl+C: restores every hub and DPS, prints what it has, exits 130', async () => {
    const id = 'exam-cli-sigint'
    const { session, dispose } = newSession(lab, id)
    try {
      await connectFlowing(lab, session, id)
      const home = (await api<{ connectedTo: 'a' | 'b' }>(lab, 'GET', `/devices/${id}`)).body
        .connectedTo
      const child = spawn(
        process.execPath,
        [
          '--import',
          'tsx',
          lizardEntry,
          'exam',
          id,
          '--url',
          lab.controlUrl,
          '--only',
          'kill',
          '--warmup',
          '2s',
          // DPS slow to notice: the device is still away when Ctrl+C comes.
          '--dps-detect',
          '120',
        ],
        { stdio: ['ignore', 'pipe', 'pipe'] },
      )
      let out = ''
      let err = ''
      child.stdout.on('data', (b: Buffer) => (out += b.toString()))
      child.stderr.on('data', (b: Buffer) => (err += b.toString()))
      const exited = new Promise<number | null>((resolve) => child.once('exit', (c) => resolve(c)))
      try {
        await waitFor(
          'the exam killing the hub',
          async () =>
            (await api<{ mode: string }>(lab, 'GET', `/hubs/${home}`)).body.mode === 'killed',
          30_000,
        )
        child.kill('SIGINT')
        expect(await exited).toBe(130)
      } finally {
        if (child.exitCode === null) child.kill('SIGKILL')
      }
      expect(err).toMatch(/stopping: restoring every hub and DPS/)
      expect(out).toMatch(/exam\.interrupted/)
      expect(out).toMatch(/kill\.skipped/)
      const hubs = (
        await api<Record<'a' | 'b', { mode: string; dps: { state: string } }>>(lab, 'GET', '/hubs')
      ).body
      expect([hubs.a.mode, hubs.b.mode, hubs.a.dps.state, hubs.b.dps.state]).toEqual([
        'up',
        'up',
        'available',
        'available',
      ])
    } finally {
      await dispose()
    }
  })
})
