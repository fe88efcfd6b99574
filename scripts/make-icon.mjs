#!/usr/bin/env node
// `npm run icon`: draws resources/icon.png, the app's icon (1024×1024; electron-builder makes the
// .icns, .ico and Linux sizes from it, and the window uses it). Drawn in code, with no image tool
// to install: a device between two hubs, linked to hub B, with the failover arc from A to B.
// Shapes are signed distance functions, so every edge is anti-aliased exactly.
import { writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { pathToFileURL } from 'node:url'
import { deflateSync } from 'node:zlib'

const size = 1024

// ── colours (straight RGBA, 0..1) ──
const hex = (h, a = 1) => [
  parseInt(h.slice(1, 3), 16) / 255,
  parseInt(h.slice(3, 5), 16) / 255,
  parseInt(h.slice(5, 7), 16) / 255,
  a,
]
const top = hex('#1a73d1')
const bottom = hex('#0b2d59')
const white = hex('#ffffff')
const faint = hex('#ffffff', 0.38)
const accent = hex('#4ee0b5')

// ── distances, in pixels; negative inside ──
const len = (x, y) => Math.hypot(x, y)

function roundedBox(px, py, cx, cy, half, r) {
  const qx = Math.abs(px - cx) - half + r
  const qy = Math.abs(py - cy) - half + r
  return len(Math.max(qx, 0), Math.max(qy, 0)) + Math.min(Math.max(qx, qy), 0) - r
}

const circle = (px, py, cx, cy, r) => len(px - cx, py - cy) - r
const ring = (px, py, cx, cy, r, w) => Math.abs(len(px - cx, py - cy) - r) - w

function segment(px, py, ax, ay, bx, by, w) {
  const dx = bx - ax
  const dy = by - ay
  const t = Math.max(0, Math.min(1, ((px - ax) * dx + (py - ay) * dy) / (dx * dx + dy * dy)))
  return len(px - ax - t * dx, py - ay - t * dy) - w
}

/** A ring's stroke between two angles (radians, screen y down), with round ends. */
function arc(px, py, cx, cy, r, w, from, to) {
  const a = Math.atan2(py - cy, px - cx)
  if (a >= from && a <= to) return ring(px, py, cx, cy, r, w)
  const end = (t) => len(px - cx - r * Math.cos(t), py - cy - r * Math.sin(t)) - w
  return Math.min(end(from), end(to))
}

/** A filled triangle: the distance to its nearest edge, negative inside. */
function triangle(px, py, ...corners) {
  let d = Infinity
  let left = 0
  let right = 0
  for (let i = 0; i < 3; i++) {
    const [x0, y0] = corners[i]
    const [x1, y1] = corners[(i + 1) % 3]
    const ex = x1 - x0
    const ey = y1 - y0
    const t = Math.max(0, Math.min(1, ((px - x0) * ex + (py - y0) * ey) / (ex * ex + ey * ey)))
    d = Math.min(d, len(px - x0 - t * ex, py - y0 - t * ey))
    const side = ex * (py - y0) - ey * (px - x0)
    if (side > 0) left++
    else if (side < 0) right++
  }
  return left === 0 || right === 0 ? -d : d
}

const coverage = (d) => Math.max(0, Math.min(1, 0.5 - d))

// ── the picture ──
const hubA = [330, 430]
const hubB = [694, 430]
const device = [512, 735]
const hubR = 112
const stroke = 30
const arcCentre = [512, 470]
const arcR = 250
const arcFrom = -Math.PI + 1.05
const arcTo = -1.05
const tip = [arcCentre[0] + arcR * Math.cos(arcTo), arcCentre[1] + arcR * Math.sin(arcTo)]
// The arrowhead points along the arc's direction of travel at its end (clockwise on screen).
const dir = [-Math.sin(arcTo), Math.cos(arcTo)]
const side = [-dir[1], dir[0]]
const head = [
  [tip[0] + dir[0] * 50, tip[1] + dir[1] * 50],
  [tip[0] - dir[0] * 16 + side[0] * 44, tip[1] - dir[1] * 16 + side[1] * 44],
  [tip[0] - dir[0] * 16 - side[0] * 44, tip[1] - dir[1] * 16 - side[1] * 44],
]

/** The tile's diagonal gradient, top left to bottom right. */
function background(x, y) {
  const t = Math.max(0, Math.min(1, (x + y - 2 * 64) / (2 * 896)))
  return top.map((c, i) => c + (bottom[i] - c) * t)
}

/** Layers bottom to top: [distance(x, y) → px, colour(x, y) → RGBA]. */
const layers = [
  [(x, y) => roundedBox(x, y, size / 2, size / 2, 448, 200), background],
  // the dropped link to hub A, and the live one to hub B
  [(x, y) => segment(x, y, ...device, ...hubA, 12), () => faint],
  [(x, y) => segment(x, y, ...device, ...hubB, 18), () => white],
  // the hubs: A faint (lost), B solid (serving)
  [(x, y) => circle(x, y, ...hubA, hubR + stroke), background],
  [(x, y) => ring(x, y, ...hubA, hubR, stroke / 2), () => faint],
  [(x, y) => circle(x, y, ...hubA, 34), () => faint],
  [(x, y) => circle(x, y, ...hubB, hubR + stroke / 2), () => white],
  [(x, y) => circle(x, y, ...hubB, 40), () => bottom],
  // the device
  [(x, y) => circle(x, y, ...device, 96), () => white],
  [(x, y) => circle(x, y, ...device, 52), () => accent],
  // the failover arc, A → B
  [(x, y) => arc(x, y, ...arcCentre, arcR, 17, arcFrom, arcTo), () => accent],
  [(x, y) => triangle(x, y, ...head), () => accent],
]

/** The icon as straight-alpha RGBA bytes, row by row. */
export function renderPixels() {
  const out = Buffer.alloc(size * size * 4)
  for (let y = 0; y < size; y++) {
    for (let x = 0; x < size; x++) {
      const px = x + 0.5
      const py = y + 0.5
      // Composite premultiplied, "over", bottom to top.
      let r = 0
      let g = 0
      let b = 0
      let a = 0
      for (const [distance, colour] of layers) {
        const cov = coverage(distance(px, py))
        if (cov === 0) continue
        const c = colour(px, py)
        const ca = c[3] * cov
        r = c[0] * ca + r * (1 - ca)
        g = c[1] * ca + g * (1 - ca)
        b = c[2] * ca + b * (1 - ca)
        a = ca + a * (1 - ca)
      }
      const o = (y * size + x) * 4
      out[o] = a ? Math.round((r / a) * 255) : 0
      out[o + 1] = a ? Math.round((g / a) * 255) : 0
      out[o + 2] = a ? Math.round((b / a) * 255) : 0
      out[o + 3] = Math.round(a * 255)
    }
  }
  return out
}

const crcTable = Array.from({ length: 256 }, (_, n) => {
  let c = n
  for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1
  return c >>> 0
})

function crc32(buf) {
  let c = 0xffffffff
  for (const byte of buf) c = crcTable[(c ^ byte) & 0xff] ^ (c >>> 8)
  return (c ^ 0xffffffff) >>> 0
}

function chunk(type, data) {
  const head = Buffer.alloc(8)
  head.writeUInt32BE(data.length, 0)
  head.write(type, 4, 'ascii')
  const crc = Buffer.alloc(4)
  crc.writeUInt32BE(crc32(Buffer.concat([head.subarray(4), data])), 0)
  return Buffer.concat([head, data, crc])
}

/** The icon as a PNG file (8-bit RGBA, no filtering: zlib does well enough on flat colour). */
export function renderIcon() {
  const pixels = renderPixels()
  const raw = Buffer.alloc(size * (size * 4 + 1))
  for (let y = 0; y < size; y++)
    pixels.copy(raw, y * (size * 4 + 1) + 1, y * size * 4, (y + 1) * size * 4)
  const ihdr = Buffer.alloc(13)
  ihdr.writeUInt32BE(size, 0)
  ihdr.writeUInt32BE(size, 4)
  ihdr.set([8, 6, 0, 0, 0], 8) // 8-bit, RGBA, deflate, no filter method, no interlace
  return Buffer.concat([
    Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
    chunk('IHDR', ihdr),
    chunk('IDAT', deflateSync(raw, { level: 9 })),
    chunk('IEND', Buffer.alloc(0)),
  ])
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const file = join(import.meta.dirname, '..', 'resources', 'icon.png')
  writeFileSync(file, renderIcon())
  console.log(`wrote ${file}`)
}
