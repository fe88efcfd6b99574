import { mkdtempSync, readdirSync, rmSync } from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'
import { readEntries } from '../../lab/discovery'
import { privateLabOptions } from '../../lab/index'
import {
  forkLabChild,
  labWorkerEntry,
  startLabProcess,
  type LabChild,
} from '../../electron/core/lab-process'
import { waitFor } from '../support/lab'

// The web shell's embedded lab: a real child process. It starts with the facts a device needs,
// stops when asked, and when it dies on its own the app hears why — and keeps running.

const repoRoot = path.resolve(import.meta.dirname, '../..')
const dir = mkdtempSync(path.join(os.tmpdir(), 'iotc-labproc-'))
afterAll(() => rmSync(dir, { recursive: true, force: true }))

function spawner() {
  const children: LabChild[] = []
  const spawn = forkLabChild(labWorkerEntry(path.join(repoRoot, 'electron/web')))
  return {
    children,
    spawn: () => {
      const c = spawn()
      children.push(c)
      return c
    },
  }
}

describe('the lab in its own process', () => {
  it('starts, answers, and stops when asked', async () => {
    const lines: string[] = []
    const { spawn } = spawner()
    const lab = await startLabProcess(spawn, privateLabOptions(path.join(dir, 'a')), (l) =>
      lines.push(l),
    )
    expect(lab.idScope).toMatch(/^0ne/)
    expect(lab.ca).toMatch(/BEGIN CERTIFICATE/)
    expect((await fetch(`${lab.controlUrl}/health`)).ok).toBe(true)
    let exited: string | null = null
    lab.onExit((r) => (exited = r))
    await lab.stop()
    await expect(fetch(`${lab.controlUrl}/health`)).rejects.toThrow()
    expect(exited).toBeNull() // asked to stop: not an unexpected exit
  }, 60_000)

  it('a lab that dies is reported with the reason, and this process carries on', async () => {
    const { spawn, children } = spawner()
    const lab = await startLabProcess(
      spawn,
      privateLabOptions(path.join(dir, 'b')),
      () => undefined,
    )
    let exited: string | null = null
    lab.onExit((r) => (exited = r))
    children[0]!.kill()
    await waitFor('the exit is reported', () => exited)
    expect(exited).toMatch(/^the lab process was killed \(SIGKILL\)/)
    await expect(fetch(`${lab.controlUrl}/health`)).rejects.toThrow()
    await lab.stop() // stopping a dead lab is a no-op, not a hang
  }, 60_000)

  it('a lab interrupted with the rest of its process group (Ctrl+C) stops cleanly: no discovery entry left', async () => {
    const { spawn, children } = spawner()
    const dataDir = path.join(dir, 'd')
    const lab = await startLabProcess(
      spawn,
      { ...privateLabOptions(dataDir), writeDiscovery: true },
      () => undefined,
    )
    expect(readEntries(dataDir)).toHaveLength(1)
    let exited: string | null = null
    lab.onExit((r) => (exited = r))
    process.kill(children[0]!.pid!, 'SIGINT')
    await waitFor('the lab process ends', () => exited)
    expect(readdirSync(path.join(dataDir, 'labs'))).toEqual([])
    await lab.stop()
  }, 60_000)

  it('a lab that cannot start says why', async () => {
    const { spawn } = spawner()
    await expect(
      startLabProcess(
        spawn,
        { ...privateLabOptions(path.join(dir, 'c')), dpsPort: 70000 },
        () => undefined,
      ),
    ).rejects.toThrow(/70000|port/i)
  }, 60_000)
})
