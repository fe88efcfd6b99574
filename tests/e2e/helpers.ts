import { spawn, type ChildProcess } from 'node:child_process'
import { existsSync, mkdirSync } from 'node:fs'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import AxeBuilder from '@axe-core/playwright'
import { expect, type Page } from '@playwright/test'

export const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..')
export const screenshotDir = path.join(repoRoot, 'test-output', 'screenshots')

export function requireBuild(): void {
  const built = ['out/renderer/index.html', 'out/cli/web.js', 'out/lab/worker.js']
  if (!built.every((f) => existsSync(path.join(repoRoot, f)))) {
    throw new Error('out/renderer is missing: run `npm run build` (npm run test:e2e does) first')
  }
}

export async function shot(page: Page, name: string): Promise<string> {
  mkdirSync(screenshotDir, { recursive: true })
  const file = path.join(screenshotDir, `${name}.png`)
  await page.screenshot({ path: file, fullPage: false })
  return file
}

export interface RunResult {
  code: number | null
  stdout: string
  stderr: string
}

/** Runs `node bin/lizard.js …` the way a user would in a second terminal. */
export function lizard(controlUrl: string, ...args: string[]): Promise<RunResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [path.join(repoRoot, 'bin/lizard.js'), ...args], {
      cwd: repoRoot,
      env: { ...process.env, LIZARD_URL: controlUrl },
      stdio: ['ignore', 'pipe', 'pipe'],
    })
    let stdout = ''
    let stderr = ''
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()))
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()))
    const timer = setTimeout(() => child.kill('SIGKILL'), 60_000)
    child.on('error', reject)
    child.on('close', (code) => {
      clearTimeout(timer)
      resolve({ code, stdout, stderr })
    })
  })
}

export async function labJson<T>(controlUrl: string, pathname: string): Promise<T> {
  const res = await fetch(controlUrl.replace(/\/$/, '') + pathname)
  if (!res.ok) throw new Error(`${pathname}: HTTP ${res.status} ${await res.text()}`)
  return (await res.json()) as T
}

/** How many telemetry messages the lab's hubs received from the device. */
export async function labTelemetryCount(controlUrl: string, deviceId: string): Promise<number> {
  const body = await labJson<{ stats: { count: number } }>(
    controlUrl,
    `/devices/${encodeURIComponent(deviceId)}/telemetry`,
  )
  return body.stats.count
}

export interface WebApp {
  url: string
  token: string
  port: number
  controlUrl: string
  output: () => string
  stop(): Promise<void>
}

/**
 * `npm run web` as a child process, with its embedded lab on free ports and its own data folder:
 * the real engine, the real lab, the built renderer.
 */
export async function startWebApp(dataDir: string): Promise<WebApp> {
  requireBuild()
  // What users run: the built web shell (npm run build), its lab in a child process.
  const child: ChildProcess = spawn(
    process.execPath,
    [
      path.join(repoRoot, 'out/cli/web.js'),
      '--json',
      '--port',
      '0',
      '--lab-ports',
      'ephemeral',
      // DPS notices a dead hub after 1 s and sends devices home 2 s after it returns, so an
      // outage story fits a test (the lab's defaults are 10 s and 30 s).
      '--lab-dps-detect',
      '1',
      '--lab-rebalance',
      '2',
      '--data-dir',
      dataDir,
    ],
    // Without npm's variables, as `node out/cli/web.js` runs for a user (the version shown
    // must come from package.json, not from npm_package_version).
    { cwd: repoRoot, env: withoutNpmVariables(process.env), stdio: ['ignore', 'pipe', 'pipe'] },
  )
  let out = ''
  child.stderr!.on('data', (d: Buffer) => (out += d.toString()))
  const info = await new Promise<{ url: string; token: string; port: number; controlUrl: string }>(
    (resolve, reject) => {
      let buf = ''
      const timer = setTimeout(
        () => reject(new Error(`web shell did not start in 60 s:\n${out}`)),
        60_000,
      )
      child.stdout!.on('data', (d: Buffer) => {
        buf += d.toString()
        const line = buf.split('\n').find((l) => l.startsWith('{'))
        if (line) {
          clearTimeout(timer)
          resolve(
            JSON.parse(line) as { url: string; token: string; port: number; controlUrl: string },
          )
        }
      })
      child.on('exit', (code) => {
        clearTimeout(timer)
        reject(new Error(`web shell exited (${code}):\n${out}`))
      })
    },
  )
  return {
    ...info,
    output: () => out,
    stop: () =>
      new Promise<void>((resolve) => {
        if (child.exitCode !== null) return resolve()
        const hard = setTimeout(() => child.kill('SIGKILL'), 15_000)
        child.once('exit', () => {
          clearTimeout(hard)
          resolve()
        })
        child.kill('SIGINT')
      }),
  }
}

function withoutNpmVariables(env: NodeJS.ProcessEnv): NodeJS.ProcessEnv {
  return Object.fromEntries(Object.entries(env).filter(([k]) => !k.startsWith('npm_package_')))
}

/** The page passes axe (WCAG 2 A/AA and best practice), each violation named with its nodes. */
export async function noAxeViolations(page: Page) {
  const r = await new AxeBuilder({ page })
    .withTags(['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa', 'best-practice'])
    .analyze()
  expect(
    r.violations.map(
      (v) => `${v.id} (${v.impact}): ${v.nodes.map((n) => n.target.join(' ')).join(', ')}`,
    ),
  ).toEqual([])
}
