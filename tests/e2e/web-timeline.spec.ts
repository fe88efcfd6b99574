import { mkdtemp, rm } from 'node:fs/promises'
import os from 'node:os'
import path from 'node:path'
import { expect, test } from '@playwright/test'
import { AppCore } from '../../electron/core/index'
import { startWebShell, type WebShell } from '../../electron/web/index'
import { TIMELINE_RETENTION, type TimelineEntry } from '../../shared/domain'
import { fakeDeps, testModel } from '../unit/app/fakes'
import { repoRoot, requireBuild, shot } from './helpers'

// The timeline at its retention (10,000 entries, as the engine keeps): it renders only what is in
// view, filters and scrolls without choking, and says what was not kept. The web shell runs in
// this process with a scripted fake engine.

let dataDir: string
let core: AppCore
let shell: WebShell
let deps: ReturnType<typeof fakeDeps>
const N = TIMELINE_RETENTION - 1 // plus the fake engine's own first entry

test.beforeAll(async () => {
  requireBuild()
  dataDir = await mkdtemp(path.join(os.tmpdir(), 'iotc-e2e-timeline-'))
  deps = fakeDeps()
  core = new AppCore({ dataDir, shell: 'web', version: '0', model: await testModel(), deps })
  await core.start()
  const s = deps.sessions[0]!
  const t0 = Date.now() - N * 50
  const states = ['lost', 'reconnecting', 'provisioning', 'connecting', 'connected'] as const
  for (let i = 0; i < N; i++) {
    const e: TimelineEntry = {
      id: 100 + i,
      at: t0 + i * 50,
      state: states[i % states.length]!,
      hub: i % 2 ? 'hub-a:1' : 'hub-b:2',
      reason: `step ${i}`,
      ...(i % 1000 === 999 ? { mark: 'failover' as const, durationMs: 1200 + i } : {}),
    }
    s.timelineLog.push(e)
  }
  s.nextId = 100 + N
  shell = await startWebShell({ core, rendererDir: path.join(repoRoot, 'out/renderer') })
})

test.afterAll(async () => {
  await shell?.stop()
  await core?.stop()
  await rm(dataDir, { recursive: true, force: true })
})

test('ten thousand timeline entries: few DOM rows, instant filter, live appends', async ({
  page,
}) => {
  await page.goto(shell.url)
  const count = page.getByTestId('timeline-count')
  await expect(count).toHaveText(`${N + 1} entries`)
  const rows = page.getByTestId('timeline-row')
  expect(await rows.count()).toBeLessThan(80)
  // Newest first.
  await expect(rows.first()).toContainText(`step ${N - 1}`)

  const list = page.getByTestId('timeline-list')
  await list.evaluate((el) => (el.scrollTop = el.scrollHeight))
  await expect(page.getByText('step 0', { exact: true })).toBeVisible()
  expect(await rows.count()).toBeLessThan(80)

  const started = Date.now()
  await page.getByTestId('timeline-filter').fill('failover')
  const marks = Math.floor(N / 1000)
  await expect(count).toHaveText(`${marks} of ${N + 1}`)
  expect(Date.now() - started).toBeLessThan(2000)
  // Every row in view is a failover (the list shows as many as fit).
  const shown = page.locator('[data-testid="timeline-row"]')
  await expect(shown.first()).toHaveAttribute('data-mark', 'failover')
  const marksShown = await shown.evaluateAll((els) => els.map((e) => e.getAttribute('data-mark')))
  expect(marksShown.length).toBeGreaterThan(3)
  expect(new Set(marksShown)).toEqual(new Set(['failover']))
  await shot(page, 'web-11-timeline-filtered')

  await page.getByTestId('timeline-filter').fill('')
  await list.evaluate((el) => (el.scrollTop = 0))
  deps.sessions[0]!.reconnect()
  // The window keeps what the engine keeps: the oldest entry makes room, and it says so.
  await expect(rows.first()).toHaveAttribute('data-state', 'reconnecting')
  await expect(count).toHaveText(`${N + 1} entries`)
  await expect(page.getByTestId('timeline-retention')).toContainText('were not kept')
})
