import { mkdtemp, rm } from 'node:fs/promises'
import os from 'node:os'
import path from 'node:path'
import AxeBuilder from '@axe-core/playwright'
import { expect, test } from '@playwright/test'
import { labJson, repoRoot, shot, startWebApp, type WebApp } from './helpers'

// A user's own template in a real browser: loaded from Settings (the template and the files it
// references), the window becomes that device — cards per component — and the lab panel sets a
// component's writable property and invokes a component's command, as IoT Central would.

test.describe.configure({ mode: 'serial' })

let app: WebApp
let dataDir: string
const repo = path.join(repoRoot, 'tests/fixtures/models/repo/dtmi')
const files = [
  'com/example/temperaturecontroller-2.json',
  'com/example/thermostat-1.json',
  'com/example/thermostat-2.json',
  'azure/devicemanagement/deviceinformation-1.json',
].map((f) => path.join(repo, f))

test.beforeAll(async () => {
  dataDir = await mkdtemp(path.join(os.tmpdir(), 'iotc-e2e-templates-'))
  app = await startWebApp(dataDir)
})

test.afterAll(async () => {
  await app?.stop()
  await rm(dataDir, { recursive: true, force: true })
})

test('loads a template with components from Settings, sets a component property and invokes a component command', async ({
  page,
}) => {
  const errors: string[] = []
  page.on('pageerror', (e) => errors.push(e.message))
  await page.goto(app.url)
  await expect(page.getByTestId('telemetry-temp')).toBeVisible()
  // Readings made under the built-in template are delivered whatever happens; loaded while some
  // are still queued (the first connect under way), a template sends them on its own connection,
  // where the lab rightly counts them against it. This story starts from an empty outbox.
  await expect(page.getByTestId('header-state')).toHaveAttribute('data-state', 'connected', {
    timeout: 60_000,
  })
  await expect(page.getByTestId('header-queued')).toHaveText('0')

  await test.step('a template that does not load is refused, problem by problem', async () => {
    await page.getByRole('button', { name: 'Settings' }).click()
    await page.getByTestId('template-file').setInputFiles({
      name: 'broken.json',
      mimeType: 'application/json',
      buffer: Buffer.from(
        JSON.stringify({
          '@context': 'dtmi:dtdl:context;2',
          '@id': 'dtmi:com:example:Broken;1',
          '@type': 'Interface',
          contents: [{ '@type': 'Telemetry', name: 't', schema: 'doubel' }],
        }),
      ),
    })
    const problems = page.getByTestId('template-problems')
    await expect(problems).toContainText("contents[0].schema: 'doubel' is not a DTDL schema")
    await expect(page.getByTestId('template-dtmi')).toContainText('dtmi:Sample:Failover;1')
  })

  await test.step('the temperature controller and the interfaces it uses load', async () => {
    await page.getByTestId('template-file').setInputFiles(files)
    await expect(page.getByTestId('template-loaded')).toBeVisible()
    await expect(page.getByTestId('template-dtmi')).toContainText(
      'dtmi:com:example:TemperatureController;2',
    )
    await page.keyboard.press('Escape')
    await expect(page.getByTestId('settings-dialog')).toBeHidden()
  })

  await test.step('the window shows the template: cards per component', async () => {
    const groups = page.getByTestId('telemetry-group')
    await expect(
      groups.filter({ has: page.getByTestId('telemetry-thermostat1/temperature') }),
    ).toHaveAttribute('data-component', 'thermostat1')
    await expect(page.getByTestId('telemetry-thermostat1/temperature')).toHaveText(/\d/)
    await expect(page.getByTestId('telemetry-thermostat2/temperature')).toHaveText(/\d/)
    await expect(page.getByTestId('property-deviceInformation/manufacturer')).toBeVisible()
    expect((await new AxeBuilder({ page }).analyze()).violations).toEqual([])
    await shot(page, 'web-templates-1-components')
  })

  await test.step('the lab panel sets thermostat1’s target temperature; the device acknowledges it', async () => {
    const entry = page.getByTestId('lab-entry-desired-thermostat1/targetTemperature')
    if ((await entry.evaluate((e) => e.tagName)) === 'DETAILS')
      await entry.locator('summary').click()
    const form = page.getByTestId('lab-desired-form-thermostat1/targetTemperature')
    await form.locator('input').first().fill('31.5')
    await page.getByTestId('lab-desired-send-thermostat1/targetTemperature').click()
    await expect(page.getByTestId('property-ack-thermostat1/targetTemperature')).toContainText(
      '200',
    )
    const device = await labJson<{ twin: { reported: Record<string, Record<string, unknown>> } }>(
      app.controlUrl,
      '/devices/failover_js',
    )
    expect(device.twin.reported.thermostat1).toMatchObject({
      __t: 'c',
      targetTemperature: { value: 31.5, ac: 200 },
    })
  })

  await test.step('the lab panel invokes thermostat2’s getMaxMinReport; Inbound shows its answer', async () => {
    const wire = 'thermostat2*getMaxMinReport'
    const entry = page.getByTestId(`lab-entry-${wire}`)
    if ((await entry.evaluate((e) => e.tagName)) === 'DETAILS')
      await entry.locator('summary').click()
    await page.getByTestId(`lab-invoke-${wire}`).click()
    const row = page.locator(`[data-name="${wire}"]`).first()
    await expect(row).toBeVisible()
    await expect(row).toContainText('200')
    await shot(page, 'web-templates-2-command')
  })

  await test.step('the lab checked the traffic against the template and found nothing', async () => {
    const c = await labJson<{ template: string; findings: number; checked: number }>(
      app.controlUrl,
      '/devices/failover_js/conformance',
    )
    expect(c).toMatchObject({ template: 'checked', findings: 0 })
    expect(c.checked).toBeGreaterThan(0)
  })
  expect(errors).toEqual([])
})
