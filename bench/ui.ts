import { spawnSync } from 'node:child_process'
import { existsSync, mkdirSync } from 'node:fs'
import { join } from 'node:path'
import { chromium, type Page } from '@playwright/test'
import playwrightConfig from '../playwright.config'
import { AppCore } from '../electron/core/index'
import { startWebShell } from '../electron/web/index'
import type { TelemetrySample, TimelineEntry } from '../shared/domain'
import { fakeDeps, repoRoot, testModel } from '../tests/unit/app/fakes'
import { type Bench, until } from './setup'

// The browser and flags the project's Playwright tests use.
const { executablePath: chromiumPath, args: chromiumArgs } =
  playwrightConfig.use?.launchOptions ?? {}

/** The renderer is served from out/renderer: built here when it is missing. */
function ensureBuilt(bench: Bench): void {
  const built = ['out/renderer/index.html'].every((f) => existsSync(join(repoRoot, f)))
  if (built) return
  bench.progress('ui: out/renderer is missing, running electron-vite build')
  const r = spawnSync(
    process.execPath,
    [join(repoRoot, 'node_modules/electron-vite/bin/electron-vite.js'), 'build'],
    {
      cwd: repoRoot,
      stdio: ['ignore', 'ignore', 'inherit'],
    },
  )
  if (r.status !== 0) throw new Error('bench: electron-vite build failed')
}

interface Probe {
  /** When the probe was last reset: long frames that started before belong to something else. */
  since: number
  maxFrameMs: number
  frames: number
  loafMaxMs: number
  loafCount: number
  longTaskMaxMs: number
  last: number
}

/** What the page code below uses of the browser (this file compiles without the DOM library). */
interface Page$ {
  __probe: Probe
  __probeReset(): void
  requestAnimationFrame(cb: (t: number) => void): number
  PerformanceObserver: new (
    cb: (list: { getEntries(): { startTime: number; duration: number }[] }) => void,
  ) => {
    observe(o: { type: string; buffered: boolean }): void
  }
}

/** Installed in the page: frame gaps (requestAnimationFrame) and the browser's long frames. */
function installProbes(): void {
  const w = globalThis as unknown as Page$
  const probe = {} as Probe
  w.__probe = probe
  w.__probeReset = () =>
    Object.assign(probe, {
      since: performance.now(),
      maxFrameMs: 0,
      frames: 0,
      loafMaxMs: 0,
      loafCount: 0,
      longTaskMaxMs: 0,
      last: 0,
    })
  w.__probeReset()
  const frame = (t: number) => {
    if (probe.last) probe.maxFrameMs = Math.max(probe.maxFrameMs, t - probe.last)
    probe.last = t
    probe.frames++
    w.requestAnimationFrame(frame)
  }
  w.requestAnimationFrame(frame)
  new w.PerformanceObserver((list) => {
    for (const e of list.getEntries()) {
      if (e.startTime < probe.since) continue
      probe.loafMaxMs = Math.max(probe.loafMaxMs, e.duration)
      probe.loafCount++
    }
  }).observe({ type: 'long-animation-frame', buffered: false })
  new w.PerformanceObserver((list) => {
    for (const e of list.getEntries())
      if (e.startTime >= probe.since)
        probe.longTaskMaxMs = Math.max(probe.longTaskMaxMs, e.duration)
  }).observe({ type: 'longtask', buffered: false })
}

/** Runs `act` and reports the frames the page drew meanwhile. */
async function measured(page: Page, act: () => Promise<void>) {
  await page.evaluate(() => (globalThis as unknown as Page$).__probeReset())
  const t0 = Date.now()
  await act()
  // Two more frames, so the work the action started has been painted and counted.
  await page.evaluate(() => {
    const w = globalThis as unknown as Page$
    return new Promise((r) => w.requestAnimationFrame(() => w.requestAnimationFrame(r)))
  })
  const p = await page.evaluate(() => ({ ...(globalThis as unknown as Page$).__probe }))
  return {
    ms: Date.now() - t0,
    longestFrameMs: Math.round(p.maxFrameMs),
    frames: p.frames,
    longAnimationFrames: p.loafCount,
    longestAnimationFrameMs: Math.round(p.loafMaxMs),
    longestTaskMs: Math.round(p.longTaskMaxMs),
  }
}

const countOf = async (page: Page) => {
  const text = (await page.getByTestId('timeline-count').textContent()) ?? ''
  return Number(/(\d+) entries/.exec(text)?.[1] ?? -1)
}

/**
 * The real renderer, served by the real web shell, in Chromium, fed by a scripted core holding
 * --ui-entries timeline entries and --ui-minutes of telemetry every --ui-telemetry-ms: how long
 * the page takes to show them, the longest frame while scrolling the timeline end to end and
 * while typing a filter, the longest frame while the plot takes live readings on top of its
 * history, and the renderer's JS heap after a garbage collection.
 */
export async function benchUi(bench: Bench) {
  const { o } = bench
  ensureBuilt(bench)
  const dataDir = join(bench.dir, 'ui')
  mkdirSync(dataDir, { recursive: true })
  const deps = fakeDeps()
  const core = new AppCore({ dataDir, shell: 'web', version: '0', model: await testModel(), deps })
  await core.start()
  const s = deps.sessions[0]!
  const now = Date.now()
  const states = ['lost', 'reconnecting', 'provisioning', 'connecting', 'connected'] as const
  const t0 = now - o.uiEntries * 50
  const entries: TimelineEntry[] = Array.from({ length: o.uiEntries }, (_, i) => ({
    id: 100 + i,
    at: t0 + i * 50,
    state: states[i % states.length]!,
    hub: i % 2 ? 'hub-a:1' : 'hub-b:2',
    reason: `step ${i}`,
    ...(i % 500 === 499 ? { mark: 'failover' as const, durationMs: 1200 + i } : {}),
  }))
  s.timelineLog.push(...entries)
  s.nextId = 100 + o.uiEntries
  const samples = Math.round((o.uiMinutes * 60_000) / o.uiTelemetryMs)
  const history: TelemetrySample[] = Array.from({ length: samples }, (_, i) => ({
    seq: i + 1,
    at: now - (samples - i) * o.uiTelemetryMs,
    component: null,
    values: { temp: 21 + Math.sin(i / 50) * 3, humidity: 40 + Math.cos(i / 70) * 5 },
  }))
  s.telemetryLog.push(...history)
  // The fake hands out only its last 100 readings; the engine keeps what the plot shows.
  s.recentTelemetry = () => [...s.telemetryLog]

  const shell = await startWebShell({ core, rendererDir: join(repoRoot, 'out/renderer') })
  const browser = await chromium
    .launch({ executablePath: chromiumPath, args: chromiumArgs })
    .catch((e: Error) => e)
  if (browser instanceof Error) {
    await shell.stop()
    await core.stop()
    return { skipped: `no browser: ${browser.message.split('\n')[0]} (set CHROMIUM_PATH)` }
  }
  try {
    const page = await browser.newPage({ viewport: { width: 1360, height: 900 } })
    // tsx (esbuild keepNames) wraps named functions in __name(); the page has no such helper.
    await page.addInitScript({ content: 'globalThis.__name = (f) => f' })
    await page.addInitScript(installProbes)
    const loadStart = Date.now()
    await page.goto(shell.url)
    const expected = Math.min(o.uiEntries, 10_000)
    await until('the timeline shown', async () => (await countOf(page)) >= expected, 60_000)
    await page.getByTestId('telemetry-plot').waitFor()
    const loadMs = Date.now() - loadStart
    const shown = await countOf(page)

    const list = page.getByTestId('timeline-list')
    const scroll = await measured(page, () =>
      list.evaluate(async (el) => {
        const w = globalThis as unknown as Page$
        const frame = () => new Promise((r) => w.requestAnimationFrame(r))
        const steps = 150
        const step = Math.ceil(el.scrollHeight / steps)
        for (let i = 0; i < steps; i++) {
          el.scrollTop += step
          await frame()
        }
        el.scrollTop = 0
        await frame()
      }),
    )
    const filterBox = page.getByTestId('timeline-filter')
    const filter = await measured(page, async () => {
      await filterBox.pressSequentially('failover')
      await page.getByTestId('timeline-count').filter({ hasText: ' of ' }).waitFor()
      await filterBox.fill('')
      await page.getByTestId('timeline-count').filter({ hasText: 'entries' }).waitFor()
    })
    const plotPoints = Number(await page.getByTestId('telemetry-plot').getAttribute('data-points'))
    const live = await measured(page, async () => {
      // Live readings on top of the history, at the history's own pace, for three seconds.
      const end = Date.now() + 3000
      while (Date.now() < end) {
        s.sendTelemetry(1)
        await new Promise((r) => setTimeout(r, o.uiTelemetryMs))
      }
    })
    const cdp = await page.context().newCDPSession(page)
    await cdp.send('HeapProfiler.collectGarbage')
    const heap = await cdp.send('Runtime.getHeapUsage')
    return {
      browser: `Chromium ${browser.version()}`,
      timelineEntries: shown,
      telemetryHistory: { minutes: o.uiMinutes, periodMs: o.uiTelemetryMs, samples, plotPoints },
      loadMs,
      scroll,
      filter,
      plotLive: live,
      heapUsedMB: Math.round((heap.usedSize / 2 ** 20) * 10) / 10,
      heapTotalMB: Math.round((heap.totalSize / 2 ** 20) * 10) / 10,
    }
  } finally {
    await browser.close()
    await shell.stop()
    await core.stop()
  }
}
