import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { thresholdRows } from '../../../lab/exam/thresholds'

// The README's thresholds table is the one in code: a threshold changed in thresholds.ts and
// not in the README would tell device developers the wrong limit.

const readme = readFileSync(join(import.meta.dirname, '../../../README.md'), 'utf8')
const cells = (line: string) =>
  line
    .split(/(?<!\\)\|/)
    .slice(1, -1)
    .map((c) => c.trim().replace(/\\\|/g, '|'))

describe('the exam thresholds in the README', () => {
  it('lists every threshold row exactly as lab/exam/thresholds.ts has it', () => {
    const rows = readme
      .split('\n')
      .filter((l) => l.startsWith('|'))
      .map(cells)
    for (const r of thresholdRows())
      expect(rows, r.what).toContainEqual([r.what, r.pass, r.warn, `\`${r.checks}\``])
  })
})
