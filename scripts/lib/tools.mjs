// Running the project's tools (tsc, vitest, electron-vite…) from scripts, the same on every OS.
//
// Not through `npx`/`npx.cmd`: since Node 18.20.2 / 20.12.2 Windows refuses to spawn a .cmd
// without a shell (EINVAL), and a shell would re-parse every argument. Each tool is a JavaScript
// file, so it runs under this very Node: process.execPath + the file its package.json `bin` names.
import { spawnSync } from 'node:child_process'
import { existsSync, readFileSync } from 'node:fs'
import { createRequire } from 'node:module'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'

const require = createRequire(import.meta.url)

/** The command name → the package that provides it, where the two differ. */
const packageOfTool = { tsc: 'typescript', playwright: '@playwright/test' }

/** A package's folder in node_modules, found the way Node would, whatever its `exports` say. */
export function packageDir(name) {
  for (const dir of require.resolve.paths(name) ?? []) {
    if (existsSync(join(dir, name, 'package.json'))) return join(dir, name)
  }
  return null
}

/** The JavaScript file behind a tool's command, or an Error saying what to do. */
export function toolEntry(tool) {
  const pkgName = packageOfTool[tool] ?? tool
  const dir = packageDir(pkgName)
  if (!dir)
    return new Error(`${tool} is not installed (no ${pkgName} in node_modules): run npm install`)
  const pkg = JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8'))
  const bin = typeof pkg.bin === 'string' ? pkg.bin : pkg.bin?.[tool]
  if (!bin) return new Error(`${pkgName} has no "${tool}" command`)
  return join(dir, bin)
}

/**
 * The program and arguments that run a JavaScript entry with this Node. On Linux without a
 * display, `xvfb` wraps it in xvfb-run so Electron has a screen to draw on.
 */
export function nodeCommand(entry, args, { execPath = process.execPath, xvfb = false } = {}) {
  return xvfb
    ? { command: 'xvfb-run', args: ['-a', execPath, entry, ...args] }
    : { command: execPath, args: [entry, ...args] }
}

/** Should Electron get a virtual display? Only on Linux, with none set and xvfb-run present. */
export function wantsXvfb({ platform, env, hasXvfbRun }) {
  return platform === 'linux' && !env.DISPLAY && !env.WAYLAND_DISPLAY && hasXvfbRun
}

export function hasXvfbRun() {
  return spawnSync('xvfb-run', ['--help'], { stdio: 'ignore' }).error === undefined
}

const spawnErrors = {
  ENOENT: 'the program was not found',
  EACCES: 'permission denied',
  EINVAL:
    'the system refused the command; on Windows a .cmd or .bat file cannot run without a shell',
  E2BIG: 'the command line is too long',
}

/**
 * What went wrong with a finished spawnSync, in words, or null when it exited 0. A process that
 * could not start has no exit code: say why instead of turning it into a silent "exit 1".
 */
export function describeExit(label, result) {
  if (result.error) {
    const code = result.error.code
    if (code === 'ETIMEDOUT') return `${label} did not finish in time and was stopped`
    const why = spawnErrors[code] ?? result.error.message
    return `${label} could not start: ${why}${code && !why.includes(code) ? ` (${code})` : ''}`
  }
  if (result.signal) return `${label} was stopped by ${result.signal}`
  if (result.status !== 0) return `${label} failed (exit code ${result.status})`
  return null
}

/** The exit code to pass on for a finished spawnSync: its own, or 1 when it has none. */
export function exitCodeOf(result) {
  return typeof result.status === 'number' ? result.status : 1
}

/**
 * Run a tool in the foreground. Returns the spawnSync result; a tool that is not installed
 * comes back as a result with its error, like one that could not start.
 */
export function runTool(tool, args, options = {}) {
  const entry = toolEntry(tool)
  if (entry instanceof Error) return { status: null, signal: null, error: entry }
  const { xvfb, ...spawnOptions } = options
  const cmd = nodeCommand(entry, args, { xvfb })
  return spawnSync(cmd.command, cmd.args, { stdio: 'inherit', ...spawnOptions })
}

/** The repository root (scripts/lib/ is two folders below it). */
export const repoRoot = dirname(dirname(dirname(fileURLToPath(import.meta.url))))
