// `npm start` and `npm run dev`: the Electron app, or — where Electron cannot run — the same app
// in the browser through the web shell, with the reason in a line or two.
import { join } from 'node:path'
import { ensureElectron } from './electron-binary.mjs'
import { foreground } from './foreground.mjs'
import { linuxSandboxFacts, sandboxProblem } from './linux-sandbox.mjs'
import { describeExit, exitCodeOf, nodeCommand, repoRoot, runTool, toolEntry } from './tools.mjs'

function finish(label, result) {
  const problem = describeExit(label, result)
  // A non-zero exit has said why itself; Ctrl+C needs no comment.
  const stoppedByUser = result.signal === 'SIGINT' || result.signal === 'SIGTERM'
  if (problem && result.status === null && !stoppedByUser) console.error(problem)
  process.exit(exitCodeOf(result))
}

/** Electron: `electron-vite <command>` (preview builds then starts; dev serves with hot reload). */
async function runElectron(electronViteCommand, binary, args) {
  const entry = toolEntry('electron-vite')
  if (entry instanceof Error) return finish('electron-vite', { error: entry })
  const env = { ...process.env, ELECTRON_EXEC_PATH: binary }
  const sandbox = process.platform === 'linux' ? sandboxProblem(linuxSandboxFacts(binary)) : null
  if (sandbox) {
    console.log(sandbox)
    env.NO_SANDBOX = '1'
  }
  const cmd = nodeCommand(entry, [electronViteCommand, ...(args.length ? ['--', ...args] : [])])
  finish(
    `electron-vite ${electronViteCommand}`,
    await foreground(cmd.command, cmd.args, env, repoRoot),
  )
}

/** The browser shell: build the renderer and the CLIs, then serve them. */
async function runWebShell(args) {
  console.log('')
  const build = runTool('electron-vite', ['build'], { cwd: repoRoot })
  const problem = describeExit('the build (electron-vite build)', build)
  if (problem) {
    console.error(problem)
    process.exit(exitCodeOf(build))
  }
  const cmd = nodeCommand(join(repoRoot, 'out/cli/web.js'), args)
  finish('the web shell', await foreground(cmd.command, cmd.args, process.env, repoRoot))
}

/** purpose: 'start' | 'dev'. */
export async function launchApp({ purpose, electronViteCommand, args }) {
  const { binary } = ensureElectron({ purpose })
  if (binary) await runElectron(electronViteCommand, binary, args)
  else await runWebShell(args)
}
