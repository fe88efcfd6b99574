import { realpathSync } from 'node:fs'
import { fileURLToPath } from 'node:url'
import { main } from '../../lab/cli'

// Built to out/cli/lizard.js. bin/lizard.js (npx lizard) and the packaged app's `--lizard` mode
// import it and call main(argv); `node out/cli/lizard.js …` runs it directly.
export { main }

function startedAsProgram(): boolean {
  const script = process.argv[1]
  if (!script) return false
  try {
    return realpathSync(script) === realpathSync(fileURLToPath(import.meta.url))
  } catch {
    // argv[1] is not a file (an Electron flag, say): imported, not run.
    return false
  }
}

if (startedAsProgram()) process.exitCode = await main(process.argv.slice(2))
