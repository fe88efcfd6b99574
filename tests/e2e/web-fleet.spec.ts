import { mkdtemp, rm } from 'node:fs/promises'
import os from 'node:os'
import path from 'node:path'
import { expect, test, type Page } from '@playwright/test'
import { labJson, shot, startWebApp, type WebApp, noAxeViolations } from './helpers'

// The fleet view in a real browser through the web shell: a 20-device fleet beside the single
// device against the embedded lab (real engine, real lab), an outage of hub A from the lab panel,
// the wave it makes, a slow device opened in the single-device view, and a clean stop.

test.describe.configure({ mode: 'serial' })

let app: WebApp
let dataDir: string

test.beforeAll(async () => {
  dataDir = await mkdtemp(path.join(os.tmpdir(), 'iotc-e2e-fleet-'))
  app = await startWebApp(dataDir)
})

test.afterAll(async () => {
  await app?.stop()
  await rm(dataDir, { recursive: true, force: true })
})

const count = async (page: Page, testId: string) =>
  Number(await page.getByTestId(testId).getAttribute('data-count'))

test('a fleet beside the device: both hubs, a wave when hub A dies, a slow device, a clean stop', async ({
  page,
}) => {
  const pageErrors: string[] = []
  page.on('pageerror', (e) => pageErrors.push(e.message))
  await page.goto(app.url)
  await expect(page.getByTestId('header-state')).toHaveAttribute('data-state', 'connected', {
    timeout: 60_000,
  })
  let onA = 0

  await test.step('Settings → Run a fleet opens the fleet view; 20 devices start', async () => {
    await page.getByTestId('settings-open').click()
    await page.getByTestId('settings-run-fleet').click()
    await expect(page.getByTestId('settings-dialog')).toBeHidden()
    await expect(page.getByTestId('fleet-view')).toBeVisible()
    await expect(page.getByTestId('view-fleet')).toHaveAttribute('aria-pressed', 'true')
    await page.getByLabel('Devices', { exact: true }).fill('20')
    await page.getByLabel('Telemetry every (s)').fill('1')
    await page.getByTestId('fleet-start').click()
    await expect(page.getByTestId('fleet-status')).toHaveAttribute('data-status', 'running', {
      timeout: 60_000,
    })
    await expect
      .poll(async () => (await count(page, 'fleet-hub-A')) + (await count(page, 'fleet-hub-B')), {
        timeout: 60_000,
      })
      .toBe(20)
    onA = await count(page, 'fleet-hub-A')
    // The lab spreads home hubs by a hash of the id: twenty ids land on both.
    expect(onA).toBeGreaterThan(0)
    expect(await count(page, 'fleet-hub-B')).toBeGreaterThan(0)
    await expect
      .poll(async () =>
        Number(await page.getByTestId('fleet-quota-registrations-accepted').innerText()),
      )
      .toBeGreaterThanOrEqual(20)
    await expect(page.getByTestId('view-fleet-count')).toContainText('20/20')
    await shot(page, 'web-fleet-01-running')
    await noAxeViolations(page)
  })

  await test.step('hub A killed from the lab panel: its devices move to B, the wave is drawn', async () => {
    await page.getByTestId('lab-hub-a-kill').click()
    await expect(page.getByTestId('lab-hub-a-state')).toHaveAttribute('data-mode', 'killed')
    await expect(page.getByTestId('fleet-marker').filter({ hasText: 'hub A killed' })).toBeVisible()
    await expect(page.getByTestId('fleet-hub-B')).toHaveAttribute('data-count', '20', {
      timeout: 60_000,
    })
    await expect(page.getByTestId('fleet-hub-A')).toHaveAttribute('data-count', '0')
    const wave = page.locator('[data-testid="fleet-wave"][data-kind="failover"]').first()
    await expect(wave).toHaveAttribute('data-devices', String(onA))
    await expect(wave).toHaveAttribute('data-back', String(onA))
    await expect(wave).toContainText('hub A killed')
    await expect
      .poll(async () =>
        Number(await page.getByTestId('fleet-wave-chart').getAttribute('data-points')),
      )
      .toBeGreaterThan(2)
    await expect(page.getByTestId('fleet-slow-device')).toHaveCount(Math.min(10, onA))
    await shot(page, 'web-fleet-02-wave')
    await noAxeViolations(page)
  })

  await test.step('the slowest device opens in the single-device view, read-only, and back', async () => {
    const slow = page.getByTestId('fleet-slow-device').first()
    const id = (await slow.getAttribute('data-id'))!
    expect(id).toMatch(/^fleet-\d+$/)
    await slow.click()
    await expect(page.getByTestId('fleet-device-bar')).toHaveAttribute('data-id', id)
    await expect(page.getByTestId('header-device')).toHaveText(id)
    await expect(page.getByTestId('header-hub')).toHaveAttribute('data-hub', 'B')
    await expect(page.getByTestId('btn-connect')).toHaveCount(0)
    await expect(page.getByTestId('timeline-row').first()).toBeVisible()
    await shot(page, 'web-fleet-03-device')
    await noAxeViolations(page)
    await page.getByTestId('fleet-back').click()
    await expect(page.getByTestId('fleet-view')).toBeVisible()
    await expect(page.getByTestId('header-device')).toHaveText('failover_js')
  })

  await test.step('Stop closes every session of the fleet; the single device keeps its own', async () => {
    await page.getByTestId('fleet-stop').click()
    await expect(page.getByTestId('fleet-status')).toHaveAttribute('data-status', 'stopped', {
      timeout: 30_000,
    })
    await expect(page.getByTestId('fleet-lost')).toHaveText('0')
    const fleetAtLab = async () =>
      (
        await labJson<{ deviceId: string; connectedTo: string | null }[]>(
          app.controlUrl,
          '/devices',
        )
      ).filter((d) => d.deviceId.startsWith('fleet-'))
    expect(await fleetAtLab()).toHaveLength(20)
    await expect
      .poll(async () => (await fleetAtLab()).filter((d) => d.connectedTo !== null).length)
      .toBe(0)
    await page.getByTestId('view-device').click()
    await expect(page.getByTestId('header-device')).toHaveText('failover_js')
    await expect(page.getByTestId('btn-disconnect')).toBeVisible()
  })
  expect(pageErrors).toEqual([])
})
