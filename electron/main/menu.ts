import type { MenuItemConstructorOptions } from 'electron'

export interface MenuActions {
  openLogs(): void
  copyDiagnostics(): void
  /** The project's page, for "About". */
  homepage?: string
  openExternal(url: string): void
}

/**
 * The application menu. A packaged app has no DevTools and no reload: a reload would drop the
 * window's state mid-test and DevTools would let anyone at the machine poke the renderer; both
 * stay in development, where they help. Help leads to the logs and the diagnostics.
 */
export function menuTemplate(
  platform: NodeJS.Platform,
  isPackaged: boolean,
  actions: MenuActions,
): MenuItemConstructorOptions[] {
  const view: MenuItemConstructorOptions[] = isPackaged
    ? [
        { role: 'resetZoom' },
        { role: 'zoomIn' },
        { role: 'zoomOut' },
        { type: 'separator' },
        { role: 'togglefullscreen' },
      ]
    : [
        { role: 'reload' },
        { role: 'forceReload' },
        { role: 'toggleDevTools' },
        { type: 'separator' },
        { role: 'resetZoom' },
        { role: 'zoomIn' },
        { role: 'zoomOut' },
        { type: 'separator' },
        { role: 'togglefullscreen' },
      ]
  const help: MenuItemConstructorOptions[] = [
    { label: 'Open Logs Folder', click: () => actions.openLogs() },
    { label: 'Copy Diagnostics', click: () => actions.copyDiagnostics() },
  ]
  if (actions.homepage) {
    const url = actions.homepage
    help.push(
      { type: 'separator' },
      { label: 'Project Page', click: () => actions.openExternal(url) },
    )
  }
  return [
    ...(platform === 'darwin' ? [{ role: 'appMenu' } as MenuItemConstructorOptions] : []),
    { role: 'fileMenu' },
    // Text fields need cut, copy and paste; on macOS only an Edit menu gives them their shortcuts.
    { role: 'editMenu' },
    { label: 'View', submenu: view },
    { role: 'windowMenu' },
    { role: 'help', submenu: help },
  ]
}
