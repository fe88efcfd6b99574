// What `npm test` runs, in order. A step is a tool from node_modules (`tool`, its command name) or
// a JavaScript file of this repo (`script`), with its arguments; `display: true` gives it a
// virtual screen on a headless Linux box (Electron needs one); `results` names the JSON report
// its test counts are read from. Add a step here and scripts/test.mjs runs and counts it.
import { existsSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
import { nodeCommand, toolEntry, wantsXvfb } from './tools.mjs'

export const resultsDir = 'test-output'

export const steps = [
  { name: 'typecheck (node)', tool: 'tsc', args: ['-p', 'tsconfig.node.json', '--noEmit'] },
  { name: 'typecheck (web)', tool: 'tsc', args: ['-p', 'tsconfig.web.json', '--noEmit'] },
  { name: 'lint', tool: 'eslint', args: ['.', '--max-warnings=0'] },
  // Before the tests: some run the built CLIs and lab worker, and check what a package would hold.
  { name: 'build', tool: 'electron-vite', args: ['build'] },
  {
    name: 'unit + integration',
    tool: 'vitest',
    args: [
      'run',
      '--reporter=default',
      '--reporter=json',
      `--outputFile.json=${resultsDir}/vitest.json`,
    ],
    results: { kind: 'vitest', file: `${resultsDir}/vitest.json` },
  },
  {
    name: 'e2e',
    tool: 'playwright',
    args: ['test', '--reporter=list,json'],
    env: { PLAYWRIGHT_JSON_OUTPUT_NAME: `${resultsDir}/playwright.json` },
    display: true,
    results: { kind: 'playwright', file: `${resultsDir}/playwright.json` },
  },
]

/**
 * The program, arguments and environment for a step on this machine (or another: everything it
 * depends on comes in `host`). host: platform, env, hasXvfbRun, execPath, root.
 */
export function stepCommand(step, host, entryOf = toolEntry) {
  const entry = step.script ? join(host.root, step.script) : entryOf(step.tool)
  if (entry instanceof Error) return entry
  const xvfb = Boolean(step.display) && wantsXvfb(host)
  const cmd = nodeCommand(entry, step.args ?? [], { execPath: host.execPath, xvfb })
  return { ...cmd, env: { ...host.env, ...step.env } }
}

function readJson(file) {
  try {
    return existsSync(file) ? JSON.parse(readFileSync(file, 'utf8')) : null
  } catch {
    return null
  }
}

/** Passed, failed and skipped tests in one report (zeros when it is missing or unreadable). */
export function countsOf(kind, report) {
  if (kind === 'vitest' && report)
    return {
      passed: report.numPassedTests ?? 0,
      failed: report.numFailedTests ?? 0,
      skipped: (report.numPendingTests ?? 0) + (report.numTodoTests ?? 0),
    }
  if (kind === 'playwright' && report?.stats)
    return {
      passed: (report.stats.expected ?? 0) + (report.stats.flaky ?? 0),
      failed: report.stats.unexpected ?? 0,
      skipped: report.stats.skipped ?? 0,
    }
  return { passed: 0, failed: 0, skipped: 0 }
}

export function readCounts(results, root) {
  return countsOf(results.kind, readJson(join(root, results.file)))
}

export function addCounts(a, b) {
  return {
    passed: a.passed + b.passed,
    failed: a.failed + b.failed,
    skipped: a.skipped + b.skipped,
  }
}

/** The one closing line `npm test` ends with. */
export function summaryLine(c) {
  return `tests: ${c.passed} passed, ${c.failed} failed, ${c.skipped} skipped`
}

/** How a step's command reads in the log. */
export function displayCommand(step, cmd) {
  const shown = step.script ?? step.tool
  return `${cmd.command === 'xvfb-run' ? 'xvfb-run -a ' : ''}${shown} ${(step.args ?? []).join(' ')}`.trim()
}
