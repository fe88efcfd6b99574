import { describe, expect, it } from 'vitest'
import { appExecutable, lizardHint } from '../../../electron/main/lizard-hint'
import { menuTemplate } from '../../../electron/main/menu'

const actions = { openLogs: () => {}, copyDiagnostics: () => {}, openExternal: () => {} }
const roles = (items: ReturnType<typeof menuTemplate>): string[] =>
  items.flatMap((i) => [
    String(i.role ?? i.label ?? ''),
    ...(Array.isArray(i.submenu) ? roles(i.submenu) : []),
  ])

describe('the application menu', () => {
  it('a packaged app has no DevTools and no reload; development keeps them', () => {
    const packaged = roles(menuTemplate('linux', true, actions))
    expect(packaged).not.toContain('toggleDevTools')
    expect(packaged).not.toContain('reload')
    expect(packaged).not.toContain('forceReload')
    const dev = roles(menuTemplate('linux', false, actions))
    expect(dev).toEqual(expect.arrayContaining(['toggleDevTools', 'reload']))
  })

  it('Help leads to the logs and the diagnostics; macOS gets its app menu', () => {
    expect(roles(menuTemplate('win32', true, actions))).toEqual(
      expect.arrayContaining(['Open Logs Folder', 'Copy Diagnostics', 'editMenu']),
    )
    expect(menuTemplate('darwin', true, actions)[0]).toEqual({ role: 'appMenu' })
  })
})

describe('the "try it" command', () => {
  const url = 'http://127.0.0.1:8090'
  it('is npx lizard in a checkout, naming the lab', () => {
    const hint = lizardHint({ isPackaged: false, platform: 'linux', execPath: '/x/electron' })
    expect(hint('failover', 'failover_js', url)).toBe(
      'npx lizard failover failover_js --url http://127.0.0.1:8090',
    )
  })
  it('is the app itself when packaged, quoted for paths with spaces', () => {
    const hint = lizardHint({
      isPackaged: true,
      platform: 'darwin',
      execPath: '/Applications/IoT Central HA Device.app/Contents/MacOS/IoT Central HA Device',
    })
    expect(hint('failback', 'failover_js', url)).toBe(
      '"/Applications/IoT Central HA Device.app/Contents/MacOS/IoT Central HA Device" --lizard failback failover_js --url http://127.0.0.1:8090',
    )
  })
  it('is the AppImage itself, not the binary it mounted in /tmp (which skips its sandbox check)', () => {
    const execPath = '/tmp/.mount_IoT CeXyZ/iotc-ha-device'
    const appImage = '/home/jane/Apps/IoT Central HA Device.AppImage'
    expect(appExecutable({ APPIMAGE: appImage }, execPath)).toBe(appImage)
    expect(appExecutable({}, execPath)).toBe(execPath)
  })
  it('is curl.exe on Windows, where a GUI program cannot print to the console', () => {
    const hint = lizardHint({ isPackaged: true, platform: 'win32', execPath: 'C:\\x\\app.exe' })
    expect(hint('failover', 'failover_js', url)).toBe(
      'curl.exe -X POST -H "content-type: application/json" -d "{}" http://127.0.0.1:8090/system/iothub/devices/failover_js/manual-failover',
    )
  })
})
