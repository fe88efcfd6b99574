import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { DeviceStore } from '../../../electron/device/device-store'

let dir: string
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'store-'))
})
afterEach(() => rmSync(dir, { recursive: true, force: true }))

describe('DeviceStore', () => {
  it('remembers the home hub across restarts', () => {
    const store = new DeviceStore(dir)
    expect(store.homeHub).toBeNull()
    store.homeHub = '127.0.0.1:8884'
    expect(new DeviceStore(dir).homeHub).toBe('127.0.0.1:8884')
  })
})
