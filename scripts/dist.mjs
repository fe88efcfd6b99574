#!/usr/bin/env node
// `npm run dist`: build, then electron-builder for this OS (arguments after `--` go to it).
// Where the Electron build it packages cannot be downloaded, one line says so and the exit is
// non-zero, instead of a stack trace.
import { spawn } from 'node:child_process'
import { createInterface } from 'node:readline'
import { distDownloadFailure } from './lib/dist-failure.mjs'
import {
  describeExit,
  exitCodeOf,
  nodeCommand,
  repoRoot,
  runTool,
  toolEntry,
} from './lib/tools.mjs'

const build = runTool('electron-vite', ['build'], { cwd: repoRoot })
const buildProblem = describeExit('the build (electron-vite build)', build)
if (buildProblem) {
  console.error(buildProblem)
  process.exit(exitCodeOf(build))
}

const entry = toolEntry('electron-builder')
if (entry instanceof Error) {
  console.error(`npm run dist: ${entry.message}`)
  process.exit(1)
}
const cmd = nodeCommand(entry, process.argv.slice(2))
const child = spawn(cmd.command, cmd.args, { cwd: repoRoot, stdio: ['inherit', 'pipe', 'pipe'] })

// Lines pass through as they come, until electron-builder reports an error: that part is held
// back until it is clear whether it is a failed download (said in one line) or worth showing.
const lines = []
let holding = false
function onLine(line, stream) {
  lines.push(line)
  if (line.includes('⨯')) holding = true
  if (!holding) stream.write(line + '\n')
}
createInterface({ input: child.stdout }).on('line', (l) => onLine(l, process.stdout))
createInterface({ input: child.stderr }).on('line', (l) => onLine(l, process.stderr))

let startError
child.on('error', (e) => (startError = e))
child.on('close', (status, signal) => {
  const result = { status, signal, error: startError }
  if (status === 0) process.exit(0)
  const download = distDownloadFailure(lines)
  if (download) console.error(download)
  else {
    const held = lines.slice(lines.findIndex((l) => l.includes('⨯')))
    if (holding) console.error(held.join('\n'))
    const problem = describeExit('electron-builder', result)
    if (problem && status === null) console.error(`npm run dist: ${problem}`)
  }
  process.exit(exitCodeOf(result))
})
