#!/usr/bin/env node
// `npx lizard`: the lab's CLI, built to out/cli/lizard.js by `npm run build` (which `npm install`
// runs in a checkout, as the prepare script).
import { existsSync } from 'node:fs'

const built = new URL('../out/cli/lizard.js', import.meta.url)
if (!existsSync(built)) {
  console.error('lizard: not built yet (out/cli/lizard.js is missing): run npm run build')
  process.exit(1)
}
const { main } = await import(built.href)
process.exitCode = await main(process.argv.slice(2))
