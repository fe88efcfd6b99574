import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises'
import os from 'node:os'
import path from 'node:path'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { LogFile, Redactor } from '../../../electron/core/log-file'

let dir: string
beforeEach(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), 'iotc-log-'))
})
afterEach(async () => {
  await rm(dir, { recursive: true, force: true })
})

describe('the log file', () => {
  it('never writes a SAS token, a signature or a known key', async () => {
    const r = new Redactor()
    const key = 'c2VjcmV0LWRldmljZS1rZXktdGhhdC1tdXN0LW5vdC1sZWFr'
    r.add(key)
    const log = new LogFile(dir, r)
    log.write(
      'connect failed: password SharedAccessSignature sr=h%2Fdevices%2Fd&sig=abc%2Bdef%3D&se=1700000000 refused',
    )
    log.write(`HostName=h;DeviceId=d;SharedAccessKey=${key}`)
    log.write(`derived ${key} and a query ?sig=XYZ123&se=1`)
    const text = await readFile(log.file, 'utf8')
    expect(text).not.toContain(key)
    expect(text).not.toContain('abc%2Bdef')
    expect(text).not.toContain('XYZ123')
    expect(text).toMatch(/SharedAccessSignature \[redacted\]/)
    expect(text).toMatch(/SharedAccessKey=\[redacted\]/)
    expect(log.tail(2)).toHaveLength(2)
  })

  it('rotates at its size bound and keeps a fixed number of old files', async () => {
    const log = new LogFile(dir, new Redactor(), { maxBytes: 2000, keep: 2 })
    for (let i = 0; i < 200; i++) log.write(`line ${i} ${'x'.repeat(50)}`)
    const files = (await readdir(dir)).sort()
    expect(files).toEqual(['app.log', 'app.log.1', 'app.log.2'])
    for (const f of files)
      expect((await readFile(path.join(dir, f))).length).toBeLessThanOrEqual(2000)
    expect(await readFile(log.file, 'utf8')).toMatch(/line 199/)
  })

  it('puts one entry on one line, however the message was shaped', async () => {
    const log = new LogFile(dir, new Redactor())
    log.write('first\nsecond\r\nthird')
    log.write('y'.repeat(100_000))
    const lines = (await readFile(log.file, 'utf8')).trimEnd().split('\n')
    expect(lines).toHaveLength(2)
    expect(lines[1]!.length).toBeLessThan(4100)
  })
})
