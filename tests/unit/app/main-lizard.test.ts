import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest'
import { fx, until } from './electron-stub'

// `<packaged app> --lizard …` runs the lizard CLI and exits with its code, opening no window.

vi.mock('electron', async () => {
  const stub = await import('./electron-stub')
  return stub.electronStub(stub.fx)
})

const argv = process.argv
const out: string[] = []
beforeAll(() => {
  fx.isPackaged = true
  process.argv = ['/opt/app/iotc-ha-device', '--lizard', '--help']
  vi.spyOn(process.stdout, 'write').mockImplementation((chunk) => {
    out.push(String(chunk))
    return true
  })
})
afterAll(() => {
  process.argv = argv
  vi.restoreAllMocks()
})

describe('the packaged app as lizard', () => {
  it('prints lizard’s help, exits 0, and opens no window', async () => {
    const electron = await import('electron')
    await import('../../../electron/main/index')
    const exit = electron.app.exit as unknown as { mock: { calls: unknown[][] } }
    await until(() => exit.mock.calls.length > 0, 10_000)
    expect(exit.mock.calls[0]).toEqual([0])
    expect(out.join('')).toMatch(/lizard — fail IoT Central lab devices over/)
    expect(fx.windows).toHaveLength(0)
    expect(electron.app.requestSingleInstanceLock).not.toHaveBeenCalled()
  })
})
