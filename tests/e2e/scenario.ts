import { expect, test, type Page } from '@playwright/test'
import { labJson, labTelemetryCount, lizard, shot } from './helpers'

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms))

/** The lab's control URL as the window shows it ("Try it: npx lizard failover … --url URL"). */
export async function controlUrlFromHint(
  page: Page,
  fallback: string | null = null,
): Promise<string> {
  const text = await page.getByTestId('lab-try-failover').innerText()
  const m = /--url (\S+)|(http:\/\/127\.0\.0\.1:\d+)/.exec(text)
  const url = m?.[1] ?? m?.[2] ?? fallback
  if (!url) throw new Error(`the hint names no lab: ${text}`)
  return url
}

/**
 * The user's path through the app, against the real engine and the real lab. Used by the web
 * shell's test (Chromium) and the Electron shell's test alike.
 */
export async function deviceScenario(
  page: Page,
  opts: { controlUrl: string; deviceId: string; prefix: string },
) {
  const { controlUrl, deviceId, prefix } = opts
  const state = page.getByTestId('header-state')
  const hub = page.getByTestId('header-hub')
  let homeLabel = ''
  let otherLabel = ''

  await test.step('the app connects to the lab', async () => {
    await expect(page.getByTestId('header-device')).toHaveText(deviceId)
    await expect(state).toHaveAttribute('data-state', 'connected', { timeout: 60_000 })
    homeLabel = (await hub.getAttribute('data-hub')) ?? ''
    expect(['A', 'B']).toContain(homeLabel)
    otherLabel = homeLabel === 'A' ? 'B' : 'A'
    await expect(hub).toHaveAttribute('data-home', 'true')
    await expect(page.getByTestId('header-hub-badge')).toHaveText('HOME')
    await expect(page.getByTestId('lab-try-failover')).toContainText(
      `npx lizard failover ${deviceId}`,
    )
    // Faster telemetry so the test does not wait on the 5 s default.
    await page.getByTestId('period-telemetry').fill('0.5')
    await page.getByTestId('period-telemetry').press('Enter')
    await expect(page.getByTestId('period-telemetry')).toHaveValue('0.5')
    await expect
      .poll(() => labTelemetryCount(controlUrl, deviceId), { timeout: 20_000 })
      .toBeGreaterThan(2)
    await expect(page.getByTestId('counter-acked')).not.toHaveText('0')
    await expect(page.getByTestId('telemetry-temp')).not.toHaveText('—')
    await shot(page, `${prefix}01-connected`)
  })

  await test.step('telemetry off stops it at the lab; on resumes it', async () => {
    const toggle = page.getByTestId('behaviour-telemetry')
    await expect(toggle).toBeChecked()
    await toggle.uncheck()
    await expect(toggle).not.toBeChecked()
    await sleep(1500) // anything already in flight lands
    const stopped = await labTelemetryCount(controlUrl, deviceId)
    await sleep(3000) // six periods
    expect(await labTelemetryCount(controlUrl, deviceId)).toBe(stopped)
    await shot(page, `${prefix}02-telemetry-off`)
    await toggle.check()
    await expect(toggle).toBeChecked()
    await expect
      .poll(() => labTelemetryCount(controlUrl, deviceId), { timeout: 15_000 })
      .toBeGreaterThan(stopped + 2)
  })

  await test.step('lizard failover moves the device to the other hub', async () => {
    const started = Date.now()
    const r = await lizard(controlUrl, 'failover', deviceId)
    expect(r.code, r.stderr + r.stdout).toBe(0)
    await expect(hub).toHaveAttribute('data-hub', otherLabel, { timeout: 30_000 })
    await expect(state).toHaveAttribute('data-state', 'connected', { timeout: 30_000 })
    await expect(hub).toHaveAttribute('data-home', 'false')
    await expect(page.getByTestId('header-hub-badge')).toContainText('FAILED OVER')
    test.info().annotations.push({
      type: 'failover',
      description: `header showed hub ${otherLabel} after ${Date.now() - started} ms`,
    })
    await page.getByTestId('timeline-filter').fill('failover')
    await expect(
      page.locator('[data-testid="timeline-row"][data-mark="failover"]').first(),
    ).toBeVisible({ timeout: 20_000 })
    await expect(page.getByTestId('header-failovers')).not.toHaveText('0')
    // The lab agrees: the device now sends to the other hub.
    const before = await labTelemetryCount(controlUrl, deviceId)
    await expect
      .poll(() => labTelemetryCount(controlUrl, deviceId), { timeout: 15_000 })
      .toBeGreaterThan(before)
    await page.getByTestId('timeline-filter').fill('')
    await shot(page, `${prefix}03-failed-over`)
    // A window opened while failed over still names both hubs by their lab letters.
    await page.reload()
    await expect(hub).toHaveAttribute('data-hub', otherLabel, { timeout: 15_000 })
    const hubCells = await page.getByTestId('timeline-hub').allTextContents()
    expect(hubCells.filter((c) => c !== '')).toContain(homeLabel)
    expect(hubCells.every((c) => ['', 'A', 'B'].includes(c))).toBe(true)
  })

  await test.step('lizard failback returns it home', async () => {
    const r = await lizard(controlUrl, 'failback', deviceId)
    expect(r.code, r.stderr + r.stdout).toBe(0)
    await expect(hub).toHaveAttribute('data-hub', homeLabel, { timeout: 30_000 })
    await expect(state).toHaveAttribute('data-state', 'connected', { timeout: 30_000 })
    await expect(hub).toHaveAttribute('data-home', 'true')
    await expect(page.getByTestId('header-hub-badge')).toHaveText('HOME')
    await page.getByTestId('timeline-filter').fill('failback')
    await expect(
      page.locator('[data-testid="timeline-row"][data-mark="failback"]').first(),
    ).toBeVisible({ timeout: 20_000 })
    await page.getByTestId('timeline-filter').fill('')
    await shot(page, `${prefix}04-failed-back`)
  })

  await test.step('a method from lizard invoke shows with our response', async () => {
    const r = await lizard(controlUrl, 'invoke', deviceId, 'echo', '{"message":"hi"}')
    expect(r.code, r.stderr + r.stdout).toBe(0)
    expect(r.stdout).toContain('hi')
    const row = page
      .locator('[data-testid="inbound-row"][data-kind="method"][data-name="echo"]')
      .first()
    await expect(row).toBeVisible()
    await expect(row.getByTestId('inbound-payload')).toContainText('"message":"hi"')
    await expect(row.getByTestId('inbound-response')).toContainText('200')
    await expect(row.getByTestId('inbound-response')).toContainText('hi')
    await shot(page, `${prefix}05-inbound-echo`)
  })

  await test.step('a C2D command from lizard c2d shows with its outcome', async () => {
    const r = await lizard(
      controlUrl,
      'c2d',
      deviceId,
      '{"time":"07:30"}',
      '--prop',
      'method-name=setAlarm',
    )
    expect(r.code, r.stderr + r.stdout).toBe(0)
    const row = page
      .locator('[data-testid="inbound-row"][data-kind="c2d"][data-name="setAlarm"]')
      .first()
    await expect(row).toBeVisible()
    await expect(row.getByTestId('inbound-payload')).toContainText('07:30')
    await expect(row.getByTestId('inbound-response')).toContainText('completed')
  })

  await test.step('a desired edit from lizard desired shows with its acknowledgement', async () => {
    const r = await lizard(controlUrl, 'desired', deviceId, '{"fanSpeed":3}')
    expect(r.code, r.stderr + r.stdout).toBe(0)
    const row = page
      .locator('[data-testid="inbound-row"][data-kind="desired"][data-name="fanSpeed"]')
      .first()
    await expect(row).toBeVisible()
    await expect(row.getByTestId('inbound-payload')).toContainText('3')
    await expect(row.getByTestId('inbound-response')).toContainText('ac 200')
    await expect(
      page.locator('[data-testid="desired-row"][data-name="fanSpeed"]').first(),
    ).toBeVisible()
    // The lab's twin holds the ack IoT Central expects.
    await expect
      .poll(async () => {
        const d = await labJson<{ twin: { reported: Record<string, unknown> } }>(
          controlUrl,
          `/devices/${deviceId}`,
        )
        return d.twin.reported['fanSpeed']
      })
      .toMatchObject({ value: 3, ac: 200 })
    await shot(page, `${prefix}06-desired`)
  })

  await test.step('settings form', async () => {
    await page.getByTestId('settings-open').click()
    await expect(page.getByTestId('settings-form')).toBeVisible()
    await page.getByTestId('settings-idScope').fill('x')
    await page.getByTestId('settings-save').click()
    await expect(page.getByTestId('settings-error-idScope')).toBeVisible()
    await shot(page, `${prefix}07-settings`)
    await page.keyboard.press('Escape')
    await expect(page.getByTestId('settings-form')).toBeHidden()
  })
}
