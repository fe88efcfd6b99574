#!/usr/bin/env node
// `npm test`: every check that needs no display, in order, with one closing count.
// typecheck → lint → unit + integration (vitest) → build → e2e (Playwright in Chromium,
// and in Electron where its binary exists).
import { spawnSync } from 'node:child_process'
import { existsSync, mkdirSync, readFileSync } from 'node:fs'

mkdirSync('test-output', { recursive: true })
const npx = process.platform === 'win32' ? 'npx.cmd' : 'npx'

const steps = [
  ['typecheck (node)', ['tsc', '-p', 'tsconfig.node.json', '--noEmit']],
  ['typecheck (web)', ['tsc', '-p', 'tsconfig.web.json', '--noEmit']],
  ['lint', ['eslint', '.', '--max-warnings=0']],
  ['unit + integration', ['vitest', 'run', '--reporter=default', '--reporter=json', '--outputFile.json=test-output/vitest.json']],
  ['build', ['electron-vite', 'build']],
  ['e2e', ['playwright', 'test', '--reporter=list,json']],
]

const counts = { passed: 0, failed: 0, skipped: 0 }
let failedStep = null
// Electron needs a display even for tests; on a headless Linux box give it a virtual one.
const needsXvfb = process.platform === 'linux' && !process.env.DISPLAY && spawnSync('which', ['xvfb-run']).status === 0

for (const [name, args] of steps) {
  const [cmd, argv] = name === 'e2e' && needsXvfb ? ['xvfb-run', ['-a', npx, ...args]] : [npx, args]
  console.log(`\n▶ ${name}: ${cmd === npx ? 'npx' : 'xvfb-run -a npx'} ${args.join(' ')}`)
  const env = { ...process.env, PLAYWRIGHT_JSON_OUTPUT_NAME: 'test-output/playwright.json' }
  const r = spawnSync(cmd, argv, { stdio: 'inherit', env })
  if (r.status !== 0) {
    failedStep = name
    break
  }
}

function readJson(path) {
  try {
    return existsSync(path) ? JSON.parse(readFileSync(path, 'utf8')) : null
  } catch {
    return null
  }
}
const v = readJson('test-output/vitest.json')
if (v) {
  counts.passed += v.numPassedTests ?? 0
  counts.failed += v.numFailedTests ?? 0
  counts.skipped += (v.numPendingTests ?? 0) + (v.numTodoTests ?? 0)
}
const p = failedStep === null || failedStep === 'e2e' ? readJson('test-output/playwright.json') : null
if (p?.stats) {
  counts.passed += (p.stats.expected ?? 0) + (p.stats.flaky ?? 0)
  counts.failed += p.stats.unexpected ?? 0
  counts.skipped += p.stats.skipped ?? 0
}
if (failedStep) console.error(`\n✗ ${failedStep} failed`)
console.log(`\ntests: ${counts.passed} passed, ${counts.failed} failed, ${counts.skipped} skipped`)
process.exit(failedStep ? 1 : 0)
