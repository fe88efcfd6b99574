import { mkdtemp, readFile, rm } from 'node:fs/promises'
import http from 'node:http'
import os from 'node:os'
import path from 'node:path'
import AxeBuilder from '@axe-core/playwright'
import { expect, test } from '@playwright/test'
import { deriveDeviceKey } from '../../electron/device/keys'
import { upgradeStatus } from '../support/ws'
import { lizard, screenshotDir, shot, startWebApp, type WebApp } from './helpers'
import { controlUrlFromHint, deviceScenario } from './scenario'

// The whole user path in a real browser (Debian's Chromium) through the web shell, with the real
// engine and the real lab embedded in the web shell's process on free ports.

test.describe.configure({ mode: 'serial' })

let app: WebApp
let dataDir: string

test.beforeAll(async () => {
  dataDir = await mkdtemp(path.join(os.tmpdir(), 'iotc-e2e-web-'))
  app = await startWebApp(dataDir)
})

test.afterAll(async () => {
  await app?.stop()
  await rm(dataDir, { recursive: true, force: true })
})

test('connects, toggles telemetry, fails over and back, shows commands and desired edits', async ({
  page,
}) => {
  const consoleErrors: string[] = []
  page.on('console', (m) => {
    if (m.type() === 'error') consoleErrors.push(m.text())
  })
  page.on('pageerror', (e) => consoleErrors.push(e.message))
  await page.goto(app.url)
  const controlUrl = await controlUrlFromHint(page)
  expect(controlUrl).toBe(app.controlUrl)
  await deviceScenario(page, { controlUrl, deviceId: 'failover_js', prefix: 'web-' })

  await test.step('the timeline exports as JSON lines', async () => {
    const [download] = await Promise.all([
      page.waitForEvent('download'),
      page.getByTestId('timeline-export').click(),
    ])
    expect(download.suggestedFilename()).toMatch(/^timeline-failover_js-.*\.jsonl$/)
    const text = await readFile(await download.path(), 'utf8')
    const lines = text
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as { state: string; mark?: string; at: number })
    expect(lines.length).toBeGreaterThan(5)
    expect(lines.some((l) => l.mark === 'failover')).toBe(true)
    expect(lines.some((l) => l.mark === 'failback')).toBe(true)
  })

  await test.step('inbound entries copy to the clipboard', async () => {
    await page
      .context()
      .grantPermissions(['clipboard-read', 'clipboard-write'], { origin: new URL(app.url).origin })
    const row = page.locator('[data-testid="inbound-row"][data-name="echo"]').first()
    await row.getByTestId('inbound-copy').click()
    await expect(row.getByTestId('inbound-copy')).toHaveText('Copied')
    const copied = await page.evaluate(() =>
      (
        globalThis as unknown as { navigator: { clipboard: { readText(): Promise<string> } } }
      ).navigator.clipboard.readText(),
    )
    expect(JSON.parse(copied)).toMatchObject({
      kind: 'method',
      name: 'echo',
      payload: { message: 'hi' },
    })
  })

  await test.step('a dead data center shows as an error in plain words, and clears on recovery', async () => {
    for (const hub of ['a', 'b'])
      expect((await lizard(controlUrl, 'hub', hub, 'kill')).code).toBe(0)
    const banner = page.getByTestId('error-device')
    await expect(banner).toBeVisible({ timeout: 30_000 })
    await expect(page.getByTestId('header-state')).not.toHaveAttribute('data-state', 'connected')
    await shot(page, 'web-09-hubs-down')
    for (const hub of ['a', 'b'])
      expect((await lizard(controlUrl, 'hub', hub, 'restore')).code).toBe(0)
    await page.getByTestId('btn-reconnect').click()
    await expect(page.getByTestId('header-state')).toHaveAttribute('data-state', 'connected', {
      timeout: 60_000,
    })
    await expect(banner).toBeHidden()
  })

  await test.step('controls have names, work from the keyboard, and refuse bad periods in words', async () => {
    const period = page.getByRole('spinbutton', { name: 'Telemetry period in seconds' })
    await expect(period).toHaveValue('0.5')
    await period.fill('0.01')
    await period.press('Enter')
    await expect(page.getByTestId('period-telemetry-error')).toHaveText(/0\.1 to 3600 seconds/)
    await expect(period).toHaveAttribute('aria-invalid', 'true')
    await shot(page, 'web-12-period-invalid')
    await period.blur() // leaving the field puts the period in force back
    await expect(period).toHaveValue('0.5')
    await expect(page.getByTestId('period-telemetry-error')).toBeHidden()

    const c2d = page.getByRole('switch', { name: /C2D commands/ })
    await c2d.focus()
    await page.keyboard.press('Space')
    await expect(c2d).not.toBeChecked()
    await page.keyboard.press('Space')
    await expect(c2d).toBeChecked()

    const opener = page.getByRole('button', { name: 'Settings' })
    await opener.focus()
    await page.keyboard.press('Enter')
    const dialog = page.getByRole('dialog', { name: 'Device settings' })
    await expect(dialog).toBeVisible()
    await expect(page.getByTestId('settings-profile')).toBeFocused()
    for (let i = 0; i < 12; i++) await page.keyboard.press('Tab')
    expect(await dialog.evaluate((d) => d.contains(d.ownerDocument.activeElement))).toBe(true)
    await page.keyboard.press('Escape')
    await expect(dialog).toBeHidden()
    await expect(opener).toBeFocused()
  })

  await test.step('central settings are saved, shown masked, and the lab is one click away', async () => {
    // A switch the user turned off stays off across settings changes.
    await page.getByTestId('behaviour-c2dCommands').uncheck()
    // "IoT Central" settings with the lab's scope, key and DPS address. Central mode stops the
    // embedded lab, so that DPS is gone: the device says so in plain words and keeps retrying.
    const enrollment = JSON.parse(
      await readFile(path.join(dataDir, 'lab', 'enrollment.json'), 'utf8'),
    ) as {
      idScope: string
      groupPrimaryKey: string
    }
    const lab = (await (await fetch(`${controlUrl}/lab`)).json()) as { dpsHost: string }
    await page.getByTestId('settings-open').click()
    await page.getByTestId('settings-idScope').fill(enrollment.idScope)
    await page.getByTestId('settings-key').fill(enrollment.groupPrimaryKey)
    await page.getByTestId('settings-deviceId').fill('central_dev')
    await page.getByTestId('settings-provisioningHost').fill(lab.dpsHost)
    await page.getByTestId('settings-save').click()
    await expect(page.getByTestId('settings-form')).toBeHidden()
    await expect(page.getByTestId('header-device')).toHaveText('central_dev')
    await expect(page.getByTestId('device-mode')).toHaveText('IoT Central')
    await expect(page.getByTestId('lab-hint')).toBeHidden()
    await expect(page.getByTestId('error-device')).toBeVisible({ timeout: 30_000 })
    await expect(page.locator('body')).not.toContainText(enrollment.groupPrimaryKey)
    // Only the device key derived for central_dev is kept, and shown masked.
    const deviceKey = deriveDeviceKey(enrollment.groupPrimaryKey, 'central_dev')
    await expect(page.locator('.sidebar')).toContainText(deviceKey.slice(-4))
    await expect(page.locator('body')).not.toContainText(deviceKey)
    await shot(page, 'web-10-central-unreachable')
    // The saved key stays saved: an empty key field keeps it.
    await page.getByTestId('settings-open').click()
    await expect(page.getByTestId('settings-key')).toHaveValue('')
    await expect(page.getByTestId('settings-dialog')).toContainText(/Leave empty to keep/)
    // This shell has no keychain, and says so where the key is entered.
    await expect(page.getByTestId('settings-storage')).toContainText(/not encrypted/)
    await page.getByTestId('settings-use-lab').click()
    await expect(page.getByTestId('settings-form')).toBeHidden()
    await expect(page.getByTestId('header-device')).toHaveText('failover_js')
    await expect(page.getByTestId('header-state')).toHaveAttribute('data-state', 'connected', {
      timeout: 60_000,
    })
    await expect(page.getByTestId('lab-hint')).toBeVisible()
    // The lab came back on other ports: the device is home there, not "failed over" from a hub
    // of the lab before.
    await expect(page.getByTestId('header-hub')).toHaveAttribute('data-home', 'true')
    await expect(page.getByTestId('header-hub-badge')).toHaveText('HOME')
    await expect(page.getByTestId('behaviour-c2dCommands')).not.toBeChecked()
    await page.getByTestId('behaviour-c2dCommands').check()
  })

  expect(consoleErrors, 'no errors in the page console (CSP, React, socket)').toEqual([])
})

test('a page load without the token is refused', async ({ page }) => {
  const res = await page.goto(app.url.replace(/token=[^&]+/, 'token=wrong'))
  expect(res?.status()).toBe(403)
  await expect(page.locator('body')).toContainText('needs the link with its token')
  const bare = await page.goto(app.url.replace(/\?.*$/, ''))
  expect(bare?.status()).toBe(403)
  await shot(page, 'web-08-wrong-token')
})

test('the WebSocket refuses a wrong token and a foreign Origin', async () => {
  const status = (url: string, origin: string | undefined) =>
    upgradeStatus(url, origin ? { origin } : {})
  const origin = `http://127.0.0.1:${app.port}`
  const good = `ws://127.0.0.1:${app.port}/ws?token=${app.token}`
  expect(await status(`ws://127.0.0.1:${app.port}/ws?token=wrong`, origin)).toBe(403)
  expect(await status(good, 'http://evil.example')).toBe(403)
  expect(await status(good, undefined)).toBe(403)
  expect(await status(good, origin)).toBe(101)
})

test('a page from another origin in the same browser cannot open the socket, even with the token', async ({
  page,
}) => {
  // Another local site (a different port is a different origin) that somehow knows the token.
  const evil = http.createServer((_req, res) => {
    res.writeHead(200, { 'content-type': 'text/html' })
    res.end('<!doctype html><title>elsewhere</title>')
  })
  await new Promise<void>((r) => evil.listen(0, '127.0.0.1', () => r()))
  try {
    const port = (evil.address() as { port: number }).port
    await page.goto(`http://127.0.0.1:${port}/`)
    const outcome = await page.evaluate(
      (url) =>
        new Promise<string>((resolve) => {
          const ws = new WebSocket(url)
          ws.onopen = () => resolve('open')
          ws.onerror = () => resolve('refused')
          setTimeout(() => resolve('timeout'), 5000)
        }),
      `ws://127.0.0.1:${app.port}/ws?token=${app.token}`,
    )
    expect(outcome).toBe('refused')
  } finally {
    await new Promise<void>((r) => evil.close(() => r()))
  }
})

test('the map and the lab panel tell an outage story; the report holds it; the window passes an accessibility audit', async ({
  page,
}) => {
  test.setTimeout(360_000)
  const consoleErrors: string[] = []
  page.on('pageerror', (e) => consoleErrors.push(e.message))
  await page.goto(app.url)
  const controlUrl = await controlUrlFromHint(page)
  const state = page.getByTestId('header-state')
  await expect(state).toHaveAttribute('data-state', 'connected', { timeout: 60_000 })
  const home = (await page.getByTestId('header-hub').getAttribute('data-hub'))!
  const away = home === 'A' ? 'B' : 'A'
  // A device that already moved twice backs off between its DPS polls while DPS has not yet
  // noticed a dead hub: a move can take tens of seconds here, as it would in the field.
  const current = (label: string) =>
    expect(page.getByTestId(`map-hub-${label}`)).toHaveAttribute('data-current', 'true', {
      timeout: 60_000,
    })
  await expect(page.getByTestId(`map-hub-${home}`)).toHaveAttribute('data-home', 'true')
  await current(home)
  // Faster telemetry, so each move is confirmed by acknowledged data quickly.
  await page.getByTestId('period-telemetry').fill('0.5')
  await page.getByTestId('period-telemetry').press('Enter')

  await test.step('the lab panel fails the device over, and the map shows it on the other hub', async () => {
    const button = page.getByTestId('lab-failover')
    await button.hover()
    await expect(page.getByTestId('lab-command')).toContainText(
      `npx lizard failover failover_js --ttl 5 --url ${controlUrl}`,
    )
    await button.click()
    await current(away)
    await expect(page.getByTestId(`map-hub-${home}`)).toHaveAttribute('data-home', 'true')
    await expect(page.getByTestId('map-move')).toHaveAttribute('data-move', 'failover')
    await expect(page.getByTestId('lab-result')).toContainText(/failed over/i)
    await shot(page, 'web-13-panel-failover')
    await page.getByTestId('lab-failback').click()
    await current(home)
    await expect(page.getByTestId('map-move')).toHaveAttribute('data-move', 'failback')
  })

  await test.step('`lizard outage` on the home hub: DPS routes around it, then load comes back', async () => {
    const r = await lizard(controlUrl, 'outage', home.toLowerCase(), '--for', '30')
    expect(r.code, r.stderr + r.stdout).toBe(0)
    expect(r.stdout).toMatch(/restore/i)
    // The lab panel shows the hub down (it reads the lab every 2 s).
    await expect(page.getByTestId(`lab-hub-${home.toLowerCase()}-state`)).toHaveAttribute(
      'data-mode',
      'killed',
    )
    await current(away)
    await expect(page.getByTestId(`map-hub-${home}`)).not.toHaveAttribute('data-health', 'up')
    await shot(page, 'web-14-outage-failed-over')
    await current(home)
    await expect(page.getByTestId(`map-hub-${home}`)).toHaveAttribute('data-health', 'up')
    await page.getByTestId('timeline-filter').fill('fail')
    await expect(
      page.locator('[data-testid="timeline-row"][data-mark="failover"]').first(),
    ).toBeVisible()
    await expect(
      page.locator('[data-testid="timeline-row"][data-mark="failback"]').first(),
    ).toBeVisible()
    await page.getByTestId('timeline-filter').fill('')
    await shot(page, 'web-15-outage-failed-back')
  })

  await test.step('an outage from the lab panel', async () => {
    await page.getByLabel('Outage length in seconds').fill('30')
    await page.getByTestId(`lab-outage-${home.toLowerCase()}`).click()
    await current(away)
    await current(home)
  })

  await test.step('the failover report downloads with every move and the lab verdict', async () => {
    const [download] = await Promise.all([
      page.waitForEvent('download'),
      page.getByTestId('report-download').click(),
    ])
    expect(download.suggestedFilename()).toMatch(/^failover-report-failover_js-.*\.html$/)
    const html = await readFile(await download.path(), 'utf8')
    expect(html).not.toMatch(/<script/i)
    const { version } = JSON.parse(
      await readFile(path.join(import.meta.dirname, '../../package.json'), 'utf8'),
    ) as { version: string }
    expect(html).toContain(`${version} (web shell)`)
    const report = await page.context().newPage()
    await report.setContent(html)
    expect(await report.locator('[data-move="failover"]').count()).toBeGreaterThanOrEqual(3)
    expect(await report.locator('[data-move="failback"]').count()).toBeGreaterThanOrEqual(3)
    await expect(report.locator('[data-lab="missing"]')).toHaveText('none')
    await report.screenshot({
      path: path.join(screenshotDir, 'web-16-report.png'),
      fullPage: false,
    })
    await report.close()
  })

  await test.step('no accessibility violations (WCAG 2 A/AA and best practice), window and Settings', async () => {
    const audit = () =>
      new AxeBuilder({ page })
        .withTags(['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa', 'best-practice'])
        .analyze()
    const describe = (r: Awaited<ReturnType<typeof audit>>) =>
      r.violations.map(
        (v) => `${v.id} (${v.impact}): ${v.nodes.map((n) => n.target.join(' ')).join(', ')}`,
      )
    expect(describe(await audit())).toEqual([])
    await page.getByTestId('settings-open').click()
    await expect(page.getByTestId('settings-dialog')).toBeVisible()
    expect(describe(await audit())).toEqual([])
    await page.keyboard.press('Escape')
  })

  expect(consoleErrors).toEqual([])
})
