import { mkdtempSync, mkdirSync, writeFileSync } from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { describe, expect, it } from 'vitest'
import { addCounts, readCounts, summaryLine } from '../../../scripts/lib/test-steps.mjs'

// npm test ends with one line counting every test of every step that ran.

describe('npm test counts', () => {
  it('adds the vitest and Playwright reports into the closing line', () => {
    const root = mkdtempSync(path.join(os.tmpdir(), 'counts-'))
    mkdirSync(path.join(root, 'out'))
    writeFileSync(
      path.join(root, 'out/v.json'),
      JSON.stringify({
        numPassedTests: 40,
        numFailedTests: 1,
        numPendingTests: 2,
        numTodoTests: 1,
      }),
    )
    writeFileSync(
      path.join(root, 'out/p.json'),
      JSON.stringify({ stats: { expected: 3, flaky: 1, unexpected: 0, skipped: 1 } }),
    )
    const total = addCounts(
      readCounts({ kind: 'vitest', file: 'out/v.json' }, root),
      readCounts({ kind: 'playwright', file: 'out/p.json' }, root),
    )
    expect(summaryLine(total)).toBe('tests: 44 passed, 1 failed, 4 skipped')
  })

  it('counts nothing for a report that is missing or torn', () => {
    const root = mkdtempSync(path.join(os.tmpdir(), 'counts-'))
    writeFileSync(path.join(root, 'torn.json'), '{"numPassedTests": 4')
    expect(readCounts({ kind: 'vitest', file: 'torn.json' }, root)).toEqual({
      passed: 0,
      failed: 0,
      skipped: 0,
    })
    expect(readCounts({ kind: 'playwright', file: 'missing.json' }, root)).toEqual({
      passed: 0,
      failed: 0,
      skipped: 0,
    })
  })
})
