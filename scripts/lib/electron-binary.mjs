// Finding Electron's binary, downloading it when it is missing, and saying what happened.
//
// Electron ≥ 39 has no install script: `npm install` leaves node_modules/electron without a
// binary, and the binary is fetched the first time something asks for it (`require('electron')`
// or `npx install-electron`). `npm start`, `npm run dev` and the Electron e2e ask here first.
import { spawnSync } from 'node:child_process'
import { existsSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { packageDir } from './tools.mjs'

/** Where the binary sits in an Electron dist folder, per platform (as electron/install.js has it). */
export function platformBinaryPath(platform) {
  switch (platform) {
    case 'darwin':
    case 'mas':
      return 'Electron.app/Contents/MacOS/Electron'
    case 'win32':
      return 'electron.exe'
    case 'linux':
    case 'freebsd':
    case 'openbsd':
      return 'electron'
    default:
      return null
  }
}

const fallbackLine = {
  start: 'Starting the same app in your browser instead, through the web shell (npm run web).',
  dev: 'Starting the same app in your browser instead, through the web shell (built once: no hot reload).',
  e2e: null,
}

function unavailable(purpose, reason, hint) {
  const lines = [`Electron cannot run here: ${reason}.`]
  if (hint) lines.push(hint)
  if (fallbackLine[purpose]) lines.push(fallbackLine[purpose])
  return { kind: 'unavailable', reason, lines }
}

const retryHint =
  'To try again: npx install-electron (the README\'s "Install and troubleshooting" has more).'

/**
 * What to do about Electron's binary, and what to tell the user. Pure: the caller gathers the
 * facts, and calls again with `download` after an attempt.
 *
 * facts: platform, version (of the electron package), display (false: a Linux session with no
 * display server), overrideDir (ELECTRON_OVERRIDE_DIST_PATH), pathTxt (node_modules/electron/
 * path.txt, null when absent), distDir (node_modules/electron/dist), exists(file), and download
 * (absent before an attempt; { ok: true } or { ok: false, reason } after one).
 * purpose: 'start' | 'dev' | 'e2e' — only the closing line differs.
 *
 * Returns { kind: 'ready', binary, lines } | { kind: 'download', lines } |
 *         { kind: 'unavailable', reason, lines }.
 */
export function electronPlan(facts, purpose) {
  const platformPath = platformBinaryPath(facts.platform)
  if (!platformPath) return unavailable(purpose, `Electron has no build for ${facts.platform}`)
  if (facts.display === false)
    return unavailable(
      purpose,
      'no display to open a window on (DISPLAY and WAYLAND_DISPLAY are not set)',
      purpose === 'e2e' ? null : 'Over SSH, forward X (ssh -X) or run it under xvfb-run.',
    )

  if (facts.overrideDir) {
    // The user chose the binary's folder: never download over that choice.
    const binary = join(facts.overrideDir, platformPath)
    return facts.exists(binary)
      ? { kind: 'ready', binary, lines: [] }
      : unavailable(
          purpose,
          `ELECTRON_OVERRIDE_DIST_PATH is set, and ${binary} does not exist`,
          'Point it at the folder of an unpacked Electron build, or unset it.',
        )
  }

  const binary = join(facts.distDir, facts.pathTxt?.trim() || platformPath)
  if (facts.pathTxt !== null && facts.exists(binary)) {
    const lines = facts.download?.ok ? [`Electron ${facts.version} is installed.`] : []
    return { kind: 'ready', binary, lines }
  }
  if (!facts.download)
    return {
      kind: 'download',
      lines: [
        `Electron ${facts.version}'s binary is not installed yet (npm install does not fetch it).`,
        'Downloading it now, once (about 100 MB, into node_modules/electron/dist)…',
      ],
    }
  if (!facts.download.ok)
    return unavailable(purpose, `its download failed: ${facts.download.reason}`, retryHint)
  return unavailable(purpose, `the download ended, but ${binary} is not there`, retryHint)
}

/** The facts electronPlan needs, read from this machine. */
export function electronFacts({ platform = process.platform, env = process.env, download } = {}) {
  const dir = packageDir('electron')
  if (!dir) throw new Error('electron is not installed in node_modules: run npm install')
  const pathFile = join(dir, 'path.txt')
  return {
    platform,
    version: JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')).version,
    display: platform === 'linux' ? Boolean(env.DISPLAY || env.WAYLAND_DISPLAY) : true,
    overrideDir: env.ELECTRON_OVERRIDE_DIST_PATH || undefined,
    pathTxt: existsSync(pathFile) ? readFileSync(pathFile, 'utf8') : null,
    distDir: join(dir, 'dist'),
    exists: existsSync,
    download,
  }
}

const errorLine = /^\s*(?:[A-Za-z]*Error)(?: \[[A-Z_]+\])?: (.+)$/m

/**
 * Why a run of electron/install.js failed, in one line (it prints a whole stack trace).
 * result: a spawnSync result (status, signal, error, stderr); timeoutMs: the bound it ran under.
 */
export function downloadFailureReason(result, timeoutMs) {
  if (
    result.error?.code === 'ETIMEDOUT' ||
    (result.signal && result.status === null && !result.stderr)
  )
    return `it did not finish within ${Math.round(timeoutMs / 1000)} s`
  if (result.error) return `the installer could not start (${result.error.message})`
  const stderr = String(result.stderr ?? '')
  const line = errorLine.exec(stderr)?.[1]?.trim()
  if (line) return line
  const last = stderr.trim().split(/\r?\n/).pop()?.trim()
  if (last) return last
  return result.signal
    ? `the installer was stopped by ${result.signal}`
    : `the installer exited with code ${result.status}`
}

const hook = fileURLToPath(new URL('./electron-download-hook.cjs', import.meta.url))

/**
 * Run Electron's own installer (node_modules/electron/install.js) with a time bound; the hook
 * gives its network errors their cause and gives up on a server that never answers.
 * Returns { ok: true } or { ok: false, reason }.
 */
export function downloadElectron({
  timeoutMs = 15 * 60_000,
  connectTimeoutMs = 30_000,
  env = process.env,
} = {}) {
  const dir = packageDir('electron')
  if (!dir) return { ok: false, reason: 'electron is not installed in node_modules' }
  const result = spawnSync(process.execPath, ['--require', hook, join(dir, 'install.js')], {
    cwd: dir,
    stdio: ['ignore', 'ignore', 'pipe'],
    encoding: 'utf8',
    timeout: timeoutMs,
    killSignal: 'SIGKILL',
    env: { ...env, IOTC_ELECTRON_CONNECT_TIMEOUT_MS: String(connectTimeoutMs) },
  })
  return result.status === 0
    ? { ok: true }
    : { ok: false, reason: downloadFailureReason(result, timeoutMs) }
}

/**
 * Find Electron's binary, downloading it when it is missing. `say` gets each line for the user;
 * `facts(download)` reads this machine (tests give their own).
 * Returns { binary } or { binary: null, reason }.
 */
export function ensureElectron({
  purpose,
  say = console.log,
  download = downloadElectron,
  facts = (attempt) => electronFacts({ download: attempt }),
  ...bounds
}) {
  let plan
  try {
    plan = electronPlan(facts(undefined), purpose)
    if (plan.kind === 'download') {
      plan.lines.forEach((l) => say(l))
      plan = electronPlan(facts(download(bounds)), purpose)
    }
  } catch (e) {
    // node_modules/electron missing or unreadable: a reason like any other, not a crash.
    plan = unavailable(purpose, e instanceof Error ? e.message : String(e))
  }
  plan.lines.forEach((l) => say(l))
  return plan.kind === 'ready' ? { binary: plan.binary } : { binary: null, reason: plan.reason }
}
