import { mkdtemp, readFile, rm } from 'node:fs/promises'
import http from 'node:http'
import os from 'node:os'
import path from 'node:path'
import { expect, test } from '@playwright/test'
import { deriveDeviceKey } from '../../electron/device/keys'
import { upgradeStatus } from '../support/ws'
import { lizard, shot, startWebApp, type WebApp } from './helpers'
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
