import { readFileSync } from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import { parseArgs } from 'node:util'
import {
  AppCore,
  forkLabChild,
  labWorkerEntry,
  readModelFile,
  LogFile,
  plainSecretBox,
  Redactor,
  startLabProcess,
} from '../core/index'
import { realDeps } from '../core/engine'
import { privateLabOptions } from '../../lab/index'
import type { LabOptions } from '../../lab/types'
import { startWebShell } from './server'

// `npm run web`: the app without Electron. Same core, same renderer, served to a browser.

const here = path.dirname(fileURLToPath(import.meta.url))
const repoRoot = path.resolve(here, '../..')

const usage = `usage: npm run web -- [options]
  --port N            web shell port on 127.0.0.1 (default: a free one)
  --data-dir DIR      settings, device state and the lab's CA (default: ~/.iotc-ha-device)
  --lab-ports MODE    "default" (8883-8885, control 8090; free ones if taken; the lab's data in
                      ~/.iotc-ha-lab, where lizard finds it) or "ephemeral" (free ports, lab data
                      under --data-dir, no discovery file: for tests)
  --lab-dps-detect S  seconds the embedded lab's DPS takes to notice a dead hub (default 10)
  --lab-rebalance S   seconds before it sends devices home to a hub that returned (default 30)
  --renderer DIR      the built renderer (default: out/renderer)
  --json              print one JSON line { url, token, port, controlUrl } (for scripts and tests)
  --quiet             no lab or engine log lines`

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      port: { type: 'string' },
      'data-dir': { type: 'string' },
      'lab-ports': { type: 'string' },
      'lab-dps-detect': { type: 'string' },
      'lab-rebalance': { type: 'string' },
      renderer: { type: 'string' },
      json: { type: 'boolean' },
      quiet: { type: 'boolean' },
      help: { type: 'boolean', short: 'h' },
    },
  })
  if (values.help) {
    console.log(usage)
    return
  }
  const port = values.port === undefined ? 0 : Number(values.port)
  if (!Number.isInteger(port) || port < 0 || port > 65535)
    throw new Error(`--port: not a port number: ${values.port}`)
  const labPorts = values['lab-ports'] ?? 'default'
  if (labPorts !== 'default' && labPorts !== 'ephemeral')
    throw new Error('--lab-ports: "default" or "ephemeral"')
  const dataDir = path.resolve(values['data-dir'] ?? path.join(os.homedir(), '.iotc-ha-device'))
  const log = values.quiet ? () => undefined : (line: string) => console.error(line)

  // The delays were taken and never given to the lab (the e2e asked for 1 s and got 10 s).
  const seconds = (flag: 'lab-dps-detect' | 'lab-rebalance'): number | undefined => {
    const text = values[flag]
    if (text === undefined) return undefined
    const n = Number(text)
    if (text.trim() === '' || !Number.isInteger(n) || n < 0 || n > 3600)
      throw new Error(`--${flag}: whole seconds, 0 to 3600: ${text}`)
    return n
  }
  const dpsDetectSec = seconds('lab-dps-detect')
  const rebalanceSec = seconds('lab-rebalance')
  const delays: Pick<LabOptions, 'dpsDetectSec' | 'rebalanceSec'> = {
    ...(dpsDetectSec !== undefined ? { dpsDetectSec } : {}),
    ...(rebalanceSec !== undefined ? { rebalanceSec } : {}),
  }
  const lab: LabOptions | undefined =
    labPorts === 'ephemeral'
      ? { ...privateLabOptions(path.join(dataDir, 'lab')), ...delays }
      : Object.keys(delays).length
        ? delays
        : undefined
  const redactor = new Redactor()
  const builtInModel = async () => {
    const { model, files } = await readModelFile(path.join(repoRoot, 'failover.json'))
    return { model, modelFiles: files }
  }
  const spawnLab = forkLabChild(labWorkerEntry(here))
  const core = new AppCore({
    dataDir,
    shell: 'web',
    // package.json's, whether started by npm or as `node out/cli/web.js`.
    version: (
      JSON.parse(readFileSync(path.join(repoRoot, 'package.json'), 'utf8')) as { version: string }
    ).version,
    ...(await builtInModel()),
    // The lab runs in a child process: whatever happens to it, this process and its device go on.
    deps: realDeps((options) =>
      startLabProcess(spawnLab, options, (line) => core.log(`[lab] ${line}`)),
    ),
    secretBox: plainSecretBox('the browser shell has no keychain'),
    redactor,
    logFile: new LogFile(path.join(dataDir, 'logs'), redactor),
    lab,
    log,
  })
  // The last resort: an exception nothing caught (an SDK bug on a later tick) is recorded, shown,
  // and the device session restarted from its on-disk outbox, instead of ending the process.
  process.on('uncaughtException', (err) => void core.recoverFromFault(err, 'uncaught exception'))
  process.on('unhandledRejection', (err) => void core.recoverFromFault(err, 'unhandled rejection'))
  await core.start()
  const shell = await startWebShell({
    core,
    rendererDir: path.resolve(values.renderer ?? path.join(repoRoot, 'out/renderer')),
    port,
    log,
  })
  const info = core.appInfo()
  if (values.json) {
    console.log(
      JSON.stringify({
        url: shell.url,
        token: shell.token,
        port: shell.port,
        controlUrl: info.lab?.controlUrl ?? null,
      }),
    )
  } else {
    console.log(`\n  Open ${shell.url}\n`)
    if (info.lab)
      console.log(`  Embedded lab: ${info.lab.controlUrl}\n  Try it: ${info.lab.tryFailover}\n`)
    console.log('  Ctrl+C disconnects the device cleanly and stops.\n')
  }

  let stopping = false
  const stop = async (signal: string) => {
    if (stopping) return
    stopping = true
    log(`${signal}: disconnecting`)
    const hard = setTimeout(() => process.exit(1), 10_000)
    hard.unref()
    await shell.stop()
    await core.stop()
    process.exit(0)
  }
  process.on('SIGINT', () => void stop('SIGINT'))
  process.on('SIGTERM', () => void stop('SIGTERM'))
}

main().catch((err: unknown) => {
  console.error(err instanceof Error ? err.message : err)
  process.exit(1)
})
