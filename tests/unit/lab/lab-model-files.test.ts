import { execFileSync } from 'node:child_process'
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { folderResolver, readModelDocuments } from '../../../lab/model-files'
import { modelLimits } from '../../../shared/dtdl/limits'

// Template files from paths a user typed: only regular files, never past the size limits, and a
// models folder never read outside itself.

let dir: string
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'lab-model-files-'))
})
afterEach(() => {
  rmSync(dir, { recursive: true, force: true })
})

const put = (rel: string, text = '{}') => {
  const p = join(dir, rel)
  mkdirSync(join(p, '..'), { recursive: true })
  writeFileSync(p, text)
  return p
}

describe('reading template files', () => {
  it('walks a folder for .json files in name order, skipping other files and hidden folders', () => {
    put('b.json', '"b"')
    put('a/z.json', '"z"')
    put('a/notes.txt')
    put('.git/config.json')
    const docs = readModelDocuments([join(dir)])
    expect(docs.map((d) => d.name)).toEqual([join(dir, 'a', 'z.json'), join(dir, 'b.json')])
    expect(docs.map((d) => d.text)).toEqual(['"z"', '"b"'])
  })

  it('reads a named file whatever its name, and drops a byte-order mark', () => {
    const p = put('template.dtdl', '\ufeff{"@id":"x"}')
    expect(readModelDocuments([p])).toEqual([{ name: p, text: '{"@id":"x"}' }])
  })

  it('refuses a file over the size limit, naming it', () => {
    const p = put('big.json', 'x'.repeat(modelLimits.fileChars + 1))
    expect(() => readModelDocuments([p])).toThrow(`${p}: larger than 1 MiB`)
    expect(readModelDocuments([put('ok.json', 'x'.repeat(modelLimits.fileChars))])).toHaveLength(1)
  })

  it('refuses more files than one load takes', () => {
    for (let i = 0; i <= modelLimits.files; i++) put(`many/${String(i).padStart(3, '0')}.json`)
    expect(() => readModelDocuments([join(dir, 'many')])).toThrow(/more than 200 template files/)
  })

  it('refuses a missing path, a symbolic link and a device, naming each', () => {
    const missing = join(dir, 'nope.json')
    expect(() => readModelDocuments([missing])).toThrow(`${missing}: no such file`)
    const target = put('real.json')
    const link = join(dir, 'link.json')
    symlinkSync(target, link)
    expect(() => readModelDocuments([link])).toThrow(`${link}: is a symbolic link`)
    expect(() => readModelDocuments([dir])).toThrow(`${link}: is a symbolic link`)
    if (process.platform !== 'win32')
      expect(() => readModelDocuments(['/dev/zero'])).toThrow(/not a regular file/)
  })

  it.skipIf(process.platform === 'win32')('refuses a FIFO at once instead of waiting on it', () => {
    const fifo = join(dir, 'pipe.json')
    execFileSync('mkfifo', [fifo])
    expect(() => readModelDocuments([fifo])).toThrow(`${fifo}: is not a regular file`)
  })
})

describe('a models folder as a resolver', () => {
  it('finds a DTMI where the models repository layout puts it', () => {
    const models = join(dir, 'models')
    put('models/dtmi/com/example/thermostat-1.json', '{"@id":"dtmi:com:example:Thermostat;1"}')
    const resolve = folderResolver(models)
    expect(resolve('dtmi:com:example:Thermostat;1')).toEqual({
      name: join(models, 'dtmi/com/example/thermostat-1.json'),
      text: '{"@id":"dtmi:com:example:Thermostat;1"}',
    })
    expect(resolve('dtmi:com:example:Missing;1')).toBeNull()
  })

  it('never reads outside the folder, by .. or by a link', () => {
    const models = join(dir, 'models')
    put('outside.json', '{"secret":true}')
    put('models/dtmi/placeholder.json')
    const resolve = folderResolver(models)
    // dtmi/../../outside.json: two levels up from the layout's dtmi/ folder is out of `models`.
    expect(resolve('dtmi:..:..:outside')).toBeNull()
    put('elsewhere/thing-1.json', '{"secret":true}')
    symlinkSync(join(dir, 'elsewhere'), join(models, 'dtmi', 'com'))
    expect(resolve('dtmi:com:thing;1')).toBeNull()
  })
})
