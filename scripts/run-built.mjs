#!/usr/bin/env node
// `npm run lab` (and any built CLI): run out/cli/<name>.js, or say in one line how to build it.
// Not a rebuild on every run: a running app serves out/, and a build would replace it underfoot.
import { existsSync } from 'node:fs'
import { join } from 'node:path'
import { pathToFileURL } from 'node:url'
import { repoRoot } from './lib/tools.mjs'

const [name, ...args] = process.argv.slice(2)
const file = join(repoRoot, 'out', 'cli', `${name}.js`)
if (!name || !existsSync(file)) {
  console.error(
    `${name ?? 'run-built'}: out/cli/${name ?? '<name>'}.js is not built: run npm run build`,
  )
  process.exit(1)
}
// The CLI reads its arguments from process.argv, as if it had been started itself.
process.argv = [process.argv[0], file, ...args]
await import(pathToFileURL(file).href)
