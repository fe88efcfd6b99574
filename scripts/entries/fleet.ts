import { realpathSync } from 'node:fs'
import { fileURLToPath } from 'node:url'
import { main } from '../../electron/fleet/cli'

// Built to out/cli/fleet.js. bin/fleet.js (npx fleet) imports it and calls main(argv);
// `node out/cli/fleet.js …` (and the children of --processes) run it directly.
export { main }

function startedAsProgram(): boolean {
  const script = process.argv[1]
  if (!script) return false
  try {
    return realpathSync(script) === realpathSync(fileURLToPath(import.meta.url))
  } catch {
    return false
  }
}

if (startedAsProgram()) {
  const code = await main(process.argv.slice(2))
  process.exitCode = code
  // Keep-alive sockets of fetch may hold the loop open a few seconds; nothing is left to do.
  setTimeout(() => process.exit(code), 3000).unref()
}
