import { spawn } from 'node:child_process'
import { mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs'
import { createServer, type Server } from 'node:http'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { findLabs, pickLab, removeDiscovery, writeDiscovery } from '../../../lab/discovery'

let dir: string
let server: Server
let url: string

beforeEach(async () => {
  dir = mkdtempSync(join(tmpdir(), 'discovery-'))
  // Stands in for a lab's control API: /health answers as the lab `inst-1`.
  server = createServer((_req, res) => res.end(JSON.stringify({ ok: true, instance: 'inst-1' })))
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  url = `http://127.0.0.1:${(server.address() as { port: number }).port}`
})
afterEach(async () => {
  await new Promise((r) => server.close(r))
  rmSync(dir, { recursive: true, force: true })
})

const entry = (pid: number, controlUrl: string, instance?: string) => ({
  controlUrl,
  dpsHost: '127.0.0.1:1',
  idScope: '0ne0',
  caPath: '/ca.pem',
  hubs: { a: '127.0.0.1:2', b: '127.0.0.1:3' },
  pid,
  startedAt: new Date().toISOString(),
  ...(instance ? { instance } : {}),
})

const deadPid = () =>
  new Promise<number>((resolve) => {
    const p = spawn(process.execPath, ['-e', '0'])
    p.on('exit', () => resolve(p.pid!))
  })

describe('lab discovery', () => {
  it("writes one entry per lab and removes only that lab's own", () => {
    const mine = writeDiscovery(dir, entry(process.pid, url, 'inst-1'))
    writeDiscovery(dir, entry(process.pid, 'http://127.0.0.1:9', 'other'))
    expect(readdirSync(join(dir, 'labs')).sort()).toEqual(
      [`${process.pid}-9.json`, `${process.pid}-${new URL(url).port}.json`].sort(),
    )
    removeDiscovery(mine)
    expect(readdirSync(join(dir, 'labs'))).toEqual([`${process.pid}-9.json`])
  })

  it('finds the live lab; removes entries of dead processes; skips one that answers as another lab', async () => {
    writeDiscovery(dir, entry(process.pid, url, 'inst-1'))
    writeDiscovery(dir, entry(process.pid, url.replace(/\d+$/, '1'), 'inst-2'))
    const dead = await deadPid()
    writeDiscovery(dir, entry(dead, 'http://127.0.0.1:2', 'gone'))
    mkdirSync(join(dir, 'labs'), { recursive: true })
    writeFileSync(join(dir, 'labs', 'junk.json'), '{not json')
    writeFileSync(join(dir, 'labs', 'huge.json'), 'x'.repeat(100_000))
    const other = { ...entry(process.pid, url, 'inst-3') }
    writeFileSync(join(dir, 'labs', 'impostor.json'), JSON.stringify(other))
    expect((await findLabs(dir)).map((l) => l.instance)).toEqual(['inst-1'])
    expect(readdirSync(join(dir, 'labs'))).not.toContain(`${dead}-2.json`)
    expect(await pickLab(dir)).toMatchObject({ kind: 'one', lab: { instance: 'inst-1' } })
  })

  it('still reads the lab.json of labs from before per-lab entries', async () => {
    writeFileSync(join(dir, 'lab.json'), JSON.stringify(entry(process.pid, url)))
    expect(await pickLab(dir)).toMatchObject({ kind: 'one', lab: { controlUrl: url } })
  })

  it('reports none, or the several to choose from', async () => {
    expect(await pickLab(dir)).toEqual({ kind: 'none' })
    const second = createServer((_req, res) =>
      res.end(JSON.stringify({ ok: true, instance: 'inst-2' })),
    )
    await new Promise<void>((resolve) => second.listen(0, '127.0.0.1', resolve))
    try {
      writeDiscovery(dir, entry(process.pid, url, 'inst-1'))
      writeDiscovery(
        dir,
        entry(
          process.pid,
          `http://127.0.0.1:${(second.address() as { port: number }).port}`,
          'inst-2',
        ),
      )
      const p = await pickLab(dir)
      expect(p.kind === 'several' && p.labs.map((l) => l.instance).sort()).toEqual([
        'inst-1',
        'inst-2',
      ])
    } finally {
      await new Promise((r) => second.close(r))
    }
  })
})
