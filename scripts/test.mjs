#!/usr/bin/env node
// `npm test`: every check, in order (scripts/lib/test-steps.mjs), stopping at the first that
// fails, and one closing count: `tests: N passed, N failed, N skipped`.
import { spawnSync } from 'node:child_process'
import { mkdirSync, rmSync } from 'node:fs'
import { join } from 'node:path'
import {
  addCounts,
  displayCommand,
  readCounts,
  resultsDir,
  stepCommand,
  steps,
  summaryLine,
} from './lib/test-steps.mjs'
import { describeExit, hasXvfbRun, repoRoot } from './lib/tools.mjs'

mkdirSync(join(repoRoot, resultsDir), { recursive: true })
// A report left by an earlier run must not be counted for a step that does not run this time.
for (const step of steps)
  if (step.results) rmSync(join(repoRoot, step.results.file), { force: true })

const host = {
  platform: process.platform,
  env: process.env,
  hasXvfbRun: process.platform === 'linux' && hasXvfbRun(),
  execPath: process.execPath,
  root: repoRoot,
}

let counts = { passed: 0, failed: 0, skipped: 0 }
let failure = null
for (const step of steps) {
  const cmd = stepCommand(step, host)
  if (cmd instanceof Error) {
    failure = `${step.name}: ${cmd.message}`
    break
  }
  console.log(`\n▶ ${step.name}: ${displayCommand(step, cmd)}`)
  const result = spawnSync(cmd.command, cmd.args, { stdio: 'inherit', env: cmd.env, cwd: repoRoot })
  if (step.results) counts = addCounts(counts, readCounts(step.results, repoRoot))
  const problem = describeExit(step.name, result)
  if (problem) {
    failure = problem
    break
  }
}

if (failure) console.error(`\n✗ ${failure}`)
console.log(`\n${summaryLine(counts)}`)
process.exit(failure ? 1 : 0)
