import { mkdtemp, readFile, rm } from 'node:fs/promises'
import os from 'node:os'
import path from 'node:path'
import { expect, test } from '@playwright/test'
import { labJson, shot, startWebApp, type WebApp, noAxeViolations } from './helpers'

// The exam in a real browser through the web shell (real engine, real lab): "Examine this
// device" from the lab panel, only the manual failover, the checklist as it runs, the scorecard,
// the HTML report downloaded, and the lab as it was before.

test.describe.configure({ mode: 'serial' })

let app: WebApp
let dataDir: string

test.beforeAll(async () => {
  dataDir = await mkdtemp(path.join(os.tmpdir(), 'iotc-e2e-exam-'))
  app = await startWebApp(dataDir)
})

test.afterAll(async () => {
  await app?.stop()
  await rm(dataDir, { recursive: true, force: true })
})

test('examine this device: a manual failover, the checklist, the scorecard, the report', async ({
  page,
}) => {
  test.setTimeout(300_000)
  const pageErrors: string[] = []
  page.on('pageerror', (e) => pageErrors.push(e.message))
  await page.goto(app.url)
  await expect(page.getByTestId('header-state')).toHaveAttribute('data-state', 'connected', {
    timeout: 60_000,
  })

  await test.step('the lab panel lists the lab’s devices; Examine this device opens the exam', async () => {
    const list = page.getByTestId('lab-devices')
    await list.locator('summary').click()
    // Only the app's own device is on the lab: it is "Examine this device", not a row.
    await expect(page.getByTestId('lab-devices-none')).toBeVisible()
    await page.getByTestId('lab-exam-this').click()
    await expect(page.getByTestId('exam-view')).toBeVisible()
    await expect(page.getByTestId('exam-device')).toHaveText('failover_js')
    await expect(page.getByTestId('view-exam')).toHaveAttribute('aria-pressed', 'true')
    await expect(page.getByTestId('exam-note')).toContainText('must be connected')
    await expect(page.getByTestId('exam-status')).toHaveAttribute('data-state', 'idle')
    await page.getByRole('button', { name: 'None', exact: true }).click()
    await expect(page.getByTestId('exam-start')).toBeDisabled()
    await page.getByTestId('exam-event-manual-failover').check()
    await expect(page.getByTestId('exam-cli')).toContainText(
      `exam failover_js --only manual-failover --url ${app.controlUrl}`,
    )
    await shot(page, 'web-exam-01-ready')
    await noAxeViolations(page)
  })

  await test.step('Start: the checklist shows the event under way, then done with its figures', async () => {
    await page.getByTestId('exam-start').click()
    await expect(page.getByTestId('exam-status')).toHaveAttribute('data-state', 'running')
    await expect(page.getByTestId('view-exam-running')).toBeVisible()
    // The lab panel's buttons wait while the exam drives the lab.
    await expect(page.getByTestId('lab-panel-exam-note')).toBeVisible()
    await expect(page.getByTestId('lab-hub-a-kill')).toBeDisabled()
    const event = page.locator('[data-testid="exam-event"][data-id="manual-failover"]')
    await expect(event).toHaveCount(1)
    await expect(page.getByTestId('exam-line').first()).toContainText('watching failover_js')
    await expect(event).toHaveAttribute('data-status', /^(running|done)$/, { timeout: 60_000 })
    await shot(page, 'web-exam-02-running')
    await noAxeViolations(page)
    await expect(event).toHaveAttribute('data-status', 'done', { timeout: 120_000 })
    await expect(event.getByTestId('exam-figure').first()).toContainText(/^back on hub [AB] in/)
  })

  await test.step('the scorecard: each check in words with its figure and why', async () => {
    await expect(page.getByTestId('exam-status')).toHaveAttribute('data-state', 'done', {
      timeout: 150_000,
    })
    const ids = await page
      .getByTestId('exam-check')
      .evaluateAll((rows) => rows.map((r) => r.getAttribute('data-id')))
    expect(ids).toEqual(
      expect.arrayContaining([
        'manual-failover.back',
        'manual-failover.via-dps',
        'manual-failover.registrations',
        'manual-failover.refused-retries',
      ]),
    )
    // Only the event chosen ran.
    expect(ids.some((id) => id?.startsWith('kill.'))).toBe(false)
    const back = page.locator('[data-testid="exam-check"][data-id="manual-failover.back"]')
    // Our own engine is ready for the lizard.
    await expect(back).toHaveAttribute('data-status', 'pass')
    await expect(back.getByRole('cell').first()).toHaveText('PASS')
    await expect(page.getByTestId('exam-verdict')).toBeVisible()
    await expect(page.getByTestId('view-exam-running')).toHaveCount(0)
    await expect(page.getByTestId('lab-hub-a-kill')).toBeEnabled()
    await shot(page, 'web-exam-03-scorecard')
    await noAxeViolations(page)
  })

  await test.step('Download report (HTML): one self-contained page with every check', async () => {
    const downloading = page.waitForEvent('download')
    await page.getByTestId('exam-report').click()
    const download = await downloading
    expect(download.suggestedFilename()).toMatch(/^exam-failover_js-.*\.html$/)
    const file = path.join(dataDir, download.suggestedFilename())
    await download.saveAs(file)
    const html = await readFile(file, 'utf8')
    expect(html).toMatch(/^<!doctype html>/)
    expect(html).toContain('manual-failover.back')
    expect(html).toContain('Is <code>failover_js</code> ready for the lizard?')
  })

  await test.step('the lab is as it was: both hubs up, DPS up, the device home', async () => {
    const lab = await labJson<{
      hubs: Record<'a' | 'b', { mode: string }>
      dps: { mode: string }
    }>(app.controlUrl, '/lab')
    expect([lab.hubs.a.mode, lab.hubs.b.mode, lab.dps.mode]).toEqual(['up', 'up', 'up'])
    await expect
      .poll(async () => {
        const d = await labJson<{ homeHub: string; connectedTo: string | null }>(
          app.controlUrl,
          '/devices/failover_js',
        )
        return d.connectedTo === d.homeHub
      })
      .toBe(true)
  })
  expect(pageErrors).toEqual([])
})
