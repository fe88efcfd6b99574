import { describe, expect, it } from 'vitest'
import { parseOptions } from '../../bench/options'

// A size of 0 has nothing to measure (a throughput run of 0 messages waited forever for the
// last acknowledgement): refused in one line, as any bad option is.

describe('bench options', () => {
  it('refuses counts and sizes below 1, and accepts 0 for the lab delays', () => {
    for (const flag of [
      '--messages',
      '--runs',
      '--soak-seconds',
      '--throughput-runs',
      '--ui-entries',
    ])
      expect(() => parseOptions([flag, '0']), flag).toThrow(`${flag} takes a number ≥ 1`)
    expect(() => parseOptions(['--messages', ''])).toThrow(/≥ 1/)
    expect(
      parseOptions(['--dps-retry-after', '0', '--dps-detect', '0', '--messages', '1']),
    ).toMatchObject({
      dpsRetryAfter: 0,
      dpsDetect: 0,
      messages: 1,
    })
  })
})
