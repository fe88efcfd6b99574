import { readFileSync } from 'node:fs'
import path from 'node:path'
import { inflateSync } from 'node:zlib'
import { describe, expect, it } from 'vitest'
import { renderPixels } from '../../../scripts/make-icon.mjs'

// resources/icon.png is what electron-builder turns into the .icns, .ico and Linux icons, and what
// the window shows. It is drawn by scripts/make-icon.mjs (npm run icon).

const root = path.resolve(import.meta.dirname, '../../..')
const size = 1024

describe('the app icon', () => {
  const file = readFileSync(path.join(root, 'resources/icon.png'))

  it('is a 1024×1024 RGBA PNG, the source size electron-builder converts from', () => {
    expect(file.subarray(0, 8)).toEqual(Buffer.from([0x89, 0x50, 0x4e, 0x47, 13, 10, 26, 10]))
    expect(file.toString('ascii', 12, 16)).toBe('IHDR')
    expect(file.readUInt32BE(16)).toBe(size)
    expect(file.readUInt32BE(20)).toBe(size)
    expect([file[24], file[25]]).toEqual([8, 6])
  })

  it('is the picture the committed script draws', () => {
    // Compared as pixels: zlib's bytes may differ between Node builds.
    const idat: Buffer[] = []
    for (let o = 8; o < file.length;) {
      const length = file.readUInt32BE(o)
      if (file.toString('ascii', o + 4, o + 8) === 'IDAT')
        idat.push(file.subarray(o + 8, o + 8 + length))
      o += length + 12
    }
    const raw = inflateSync(Buffer.concat(idat))
    const stride = size * 4 + 1
    const pixels = renderPixels()
    for (let y = 0; y < size; y++) {
      expect(raw[y * stride], `filter of row ${y}`).toBe(0)
      const row = raw.subarray(y * stride + 1, (y + 1) * stride)
      if (!row.equals(pixels.subarray(y * size * 4, (y + 1) * size * 4)))
        throw new Error(`row ${y} differs from scripts/make-icon.mjs: run npm run icon`)
    }
  })

  it('is a picture: a transparent margin, an opaque tile, and a motif in several colours', () => {
    const px = renderPixels()
    const at = (x: number, y: number) => [
      ...px.subarray((y * size + x) * 4, (y * size + x) * 4 + 4),
    ]
    expect(at(4, 4)[3]).toBe(0)
    expect(at(1019, 1019)[3]).toBe(0)
    expect(at(512, 100)[3]).toBe(255)
    const colours = new Set<string>()
    for (let y = 64; y < size - 64; y += 8)
      for (let x = 64; x < size - 64; x += 8) {
        const [r, g, b] = at(x, y)
        colours.add(`${r! >> 5},${g! >> 5},${b! >> 5}`)
      }
    expect(colours.size).toBeGreaterThanOrEqual(6)
  })
})
