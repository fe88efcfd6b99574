// Whether Chromium's sandbox can start for Electron run from node_modules on Linux, and if not,
// why, in words. Root cannot use it at all. Ubuntu 23.10+ restricts unprivileged user namespaces
// through AppArmor (kernel.apparmor_restrict_unprivileged_userns = 1), so the sandbox needs its
// setuid helper, which npm unpacks without the setuid bit: Electron then aborts before any window
// (electron/electron#42510). Packaged builds are not affected (the deb installs an AppArmor
// profile; the AppImage launcher checks for itself).
import { readFileSync, statSync } from 'node:fs'
import { dirname, join } from 'node:path'

/**
 * facts: { platform, uid, usernsRestricted: boolean, helper: { path, setuidRoot: boolean } | null }
 * Returns null when the sandbox can run, else the sentence to print before starting with
 * --no-sandbox.
 */
export function sandboxProblem(facts) {
  if (facts.platform !== 'linux') return null
  if (facts.uid === 0)
    return "Running as root: Chromium's sandbox cannot run, so the app starts with --no-sandbox."
  if (!facts.usernsRestricted || facts.helper?.setuidRoot) return null
  const helper = facts.helper?.path ?? 'node_modules/electron/dist/chrome-sandbox'
  return [
    "This system restricts user namespaces (AppArmor, as Ubuntu 23.10+ does), and Electron's",
    "sandbox helper in node_modules is not setuid root, so Chromium's sandbox cannot start: the",
    'app starts with --no-sandbox. To keep the sandbox in this checkout:',
    `  sudo chown root:root ${helper} && sudo chmod 4755 ${helper}`,
  ].join('\n')
}

/** The facts above, read from this machine for the Electron binary at `binary`. */
export function linuxSandboxFacts(binary) {
  let usernsRestricted = false
  try {
    usernsRestricted =
      readFileSync('/proc/sys/kernel/apparmor_restrict_unprivileged_userns', 'utf8').trim() === '1'
  } catch {
    // No such setting: nothing restricts user namespaces.
  }
  const path = join(dirname(binary), 'chrome-sandbox')
  let helper = null
  try {
    const s = statSync(path)
    helper = { path, setuidRoot: s.uid === 0 && (s.mode & 0o4000) !== 0 }
  } catch {
    helper = { path, setuidRoot: false }
  }
  return { platform: process.platform, uid: process.getuid?.() ?? -1, usernsRestricted, helper }
}
