import { spawn, type ChildProcess } from 'node:child_process'
import { mkdtempSync, rmSync } from 'node:fs'
import net from 'node:net'
import os from 'node:os'
import path from 'node:path'
import { once } from 'node:events'
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest'
import { downloadElectron } from '../../../scripts/lib/electron-binary.mjs'

// Electron's real installer (node_modules/electron/install.js), pointed at mirrors on 127.0.0.1
// that fail in the ways a network does, with an empty download cache and an override path, so
// it can neither find a cached zip nor touch node_modules/electron/dist. What comes back must be
// one line naming the real cause, within the time bound.

let cache = ''
const servers: net.Server[] = []
let mirrorProcess: ChildProcess | null = null

beforeAll(() => {
  cache = mkdtempSync(path.join(os.tmpdir(), 'electron-cache-'))
})
afterAll(() => rmSync(cache, { recursive: true, force: true }))
afterEach(async () => {
  for (const s of servers.splice(0)) await new Promise((r) => s.close(r))
  mirrorProcess?.kill()
  mirrorProcess = null
})

function envFor(mirror: string): Record<string, string | undefined> {
  const env: Record<string, string | undefined> = {}
  for (const [k, v] of Object.entries(process.env))
    if (!/electron_(mirror|custom)/i.test(k)) env[k] = v
  return {
    ...env,
    ELECTRON_MIRROR: mirror,
    electron_config_cache: cache,
    ELECTRON_OVERRIDE_DIST_PATH: path.join(cache, 'no-electron-here'),
    ELECTRON_GET_USE_PROXY: undefined,
  }
}

async function listen(server: net.Server): Promise<number> {
  servers.push(server)
  server.listen(0, '127.0.0.1')
  await once(server, 'listening')
  return (server.address() as net.AddressInfo).port
}

describe('downloadElectron', () => {
  it('names a refused connection', async () => {
    const port = await listen(net.createServer())
    await new Promise((r) => servers.pop()!.close(r))
    const r = downloadElectron({ env: envFor(`http://127.0.0.1:${port}/`), timeoutMs: 60_000 })
    expect(r).toEqual({
      ok: false,
      reason: expect.stringMatching(
        new RegExp(`^could not reach 127\\.0\\.0\\.1:${port}: connect ECONNREFUSED`),
      ),
    })
  })

  it('gives up on a server that accepts and never answers, and says so', async () => {
    // The kernel accepts the connection even while downloadElectron blocks this process.
    const port = await listen(net.createServer(() => undefined))
    const r = downloadElectron({
      env: envFor(`http://127.0.0.1:${port}/`),
      connectTimeoutMs: 300,
      timeoutMs: 60_000,
    })
    expect(r).toEqual({ ok: false, reason: `127.0.0.1:${port} did not answer within 0.3 s` })
  })

  it('passes on an HTTP error from the mirror as it is worded', async () => {
    // A mirror that answers 404, in its own process: this one is blocked while the installer runs.
    mirrorProcess = spawn(
      process.execPath,
      [
        '-e',
        `const s = require('http').createServer((q, r) => { r.statusCode = 404; r.end() })
         s.listen(0, '127.0.0.1', () => console.log(s.address().port))`,
      ],
      { stdio: ['ignore', 'pipe', 'inherit'] },
    )
    const [chunk] = (await once(mirrorProcess.stdout!, 'data')) as [Buffer]
    const port = Number(chunk.toString().trim())
    const r = downloadElectron({ env: envFor(`http://127.0.0.1:${port}/`), timeoutMs: 60_000 })
    expect(r).toEqual({
      ok: false,
      reason: expect.stringMatching(
        new RegExp(`^Response code 404 \\(Not Found\\) for http://127\\.0\\.0\\.1:${port}/v45`),
      ),
    })
  })

  it('stops an installer that runs past the overall bound', async () => {
    const port = await listen(net.createServer(() => undefined))
    const r = downloadElectron({
      env: envFor(`http://127.0.0.1:${port}/`),
      connectTimeoutMs: 60_000,
      timeoutMs: 2_000,
    })
    expect(r).toEqual({ ok: false, reason: 'it did not finish within 2 s' })
  })
})
