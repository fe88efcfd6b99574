#!/usr/bin/env node
// `npx fleet`: the headless fleet runner, built to out/cli/fleet.js by `npm run build` (which
// `npm install` runs in a checkout, as the prepare script).
import { existsSync } from 'node:fs'

const built = new URL('../out/cli/fleet.js', import.meta.url)
if (!existsSync(built)) {
  console.error('fleet: not built yet (out/cli/fleet.js is missing): run npm run build')
  process.exit(1)
}
const { main } = await import(built.href)
const code = await main(process.argv.slice(2))
process.exitCode = code
setTimeout(() => process.exit(code), 3000).unref()
