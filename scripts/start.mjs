#!/usr/bin/env node
// `npm start`: the Electron app; where Electron's binary is missing (offline installs), the
// same app through the web shell in your browser, saying so.
import { spawnSync } from 'node:child_process'
import { existsSync } from 'node:fs'
import { createRequire } from 'node:module'
import { dirname, join } from 'node:path'

const require = createRequire(import.meta.url)
const npx = process.platform === 'win32' ? 'npx.cmd' : 'npx'
const electronDir = dirname(require.resolve('electron/package.json'))
const hasBinary = existsSync(join(electronDir, 'path.txt')) && existsSync(join(electronDir, 'dist'))

const run = (args) => spawnSync(npx, args, { stdio: 'inherit' }).status ?? 1
if (hasBinary) {
  process.exit(run(['electron-vite', 'preview', ...process.argv.slice(2)]))
}
console.log(
  "Electron's binary is not installed here (it is downloaded by electron's install script,\n" +
    'which needs the network). Starting the same app in your browser through the web shell.\n',
)
if (run(['electron-vite', 'build']) !== 0) process.exit(1)
process.exit(run(['tsx', 'electron/web/cli.ts', ...process.argv.slice(2)]))
