import { randomBytes } from 'node:crypto'
import { describe, expect, it } from 'vitest'
import { base64KeySchema } from '../../shared/settings'

describe('the key field', () => {
  it('takes a key as IoT Central shows it and refuses one cut off or mistyped', () => {
    expect(base64KeySchema.safeParse(randomBytes(64).toString('base64')).success).toBe(true)
    const cut = base64KeySchema.safeParse('A'.repeat(21))
    expect(cut.success).toBe(false)
    expect(cut.error?.issues[0]?.message).toMatch(/cut off/)
    expect(base64KeySchema.safeParse('not a key at all, really!').success).toBe(false)
  })
})
