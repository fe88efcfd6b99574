export interface HintContext {
  isPackaged: boolean
  platform: NodeJS.Platform
  /** The app's executable, for a packaged app. */
  execPath: string
}

/**
 * The command that fails the device over (or back) from a terminal, exactly as the user can run
 * it here. In a checkout that is `npx lizard`; a packaged app is its own lizard (`--lizard`), except
 * on Windows, where a GUI program cannot write to the console: there curl.exe (part of Windows
 * 10 and later) calls the lab's control API directly. Always naming the lab's URL makes the
 * command reach this app's lab even when other labs run on the machine.
 */
export function lizardHint(
  ctx: HintContext,
): (verb: 'failover' | 'failback', deviceId: string, controlUrl: string) => string {
  return (verb, deviceId, controlUrl) => {
    if (!ctx.isPackaged) return `npx lizard ${verb} ${deviceId} --url ${controlUrl}`
    if (ctx.platform === 'win32')
      return `curl.exe -X POST -H "content-type: application/json" -d "{}" ${controlUrl}/system/iothub/devices/${encodeURIComponent(deviceId)}/manual-${verb}`
    return `"${ctx.execPath}" --lizard ${verb} ${deviceId} --url ${controlUrl}`
  }
}

/**
 * The file a user runs to start this app: for an AppImage the AppImage itself (`APPIMAGE`), not
 * the binary it mounted under /tmp, which is gone when the app quits and, started directly, skips
 * the AppImage's own sandbox check.
 */
export function appExecutable(env: NodeJS.ProcessEnv, execPath: string): string {
  return env['APPIMAGE'] || execPath
}
