import { formatDuration } from './durations'
import type { FleetProgress } from './fleet'
import { count } from './limits'

// The progress line on stderr: redrawn in place on a terminal, a plain line every few seconds
// into a log, a JSON object per line for tools (--json). One ticker for the whole fleet.

export interface ProgressOut {
  write(text: string): void
}

export type ProgressMode = 'tty' | 'plain' | 'json'

export function progressLine(p: FleetProgress, elapsedMs: number, durationMs: number): string {
  const hubs = Object.entries(p.connected)
    .sort(([a], [b]) => (a < b ? -1 : 1))
    .map(([h, n]) => `${h} ${count(n)}`)
    .join(' · ')
  const connected = Object.values(p.connected).reduce((a, b) => a + b, 0)
  const parts = [
    `${formatDuration(elapsedMs)}/${formatDuration(durationMs)}`,
    `connected ${count(connected)}/${count(p.devices)}${hubs ? ` (${hubs})` : ''}`,
    `moving ${count(p.moving)}`,
  ]
  if (p.starting) parts.push(`starting ${count(p.starting)}`)
  if (p.failed) parts.push(`failed ${count(p.failed)}`)
  parts.push(`throttled ${count(p.throttledNow)} (${count(p.throttles)} so far)`)
  parts.push(`registrations ${count(p.registrations)}`, `moves ${count(p.moves)}`)
  return `fleet ${parts.join(' · ')}`
}

/** Sums the progress of several shards (the parent of --processes). */
export function sumProgress(list: FleetProgress[]): FleetProgress {
  const total: FleetProgress = {
    devices: 0,
    started: 0,
    connected: {},
    moving: 0,
    starting: 0,
    failed: 0,
    throttledNow: 0,
    throttles: 0,
    registrations: 0,
    moves: 0,
    produced: 0,
  }
  for (const p of list) {
    for (const k of [
      'devices',
      'started',
      'moving',
      'starting',
      'failed',
      'throttledNow',
      'throttles',
      'registrations',
      'moves',
      'produced',
    ] as const)
      total[k] += p[k]
    for (const [h, n] of Object.entries(p.connected))
      total.connected[h] = (total.connected[h] ?? 0) + n
  }
  return total
}

/** Draws progress at its pace: every second on a terminal, every `plainEveryMs` otherwise. */
export class ProgressPrinter {
  private timer: NodeJS.Timeout | null = null
  private drawn = false
  private lastPlain = 0

  constructor(
    private readonly out: ProgressOut,
    private readonly mode: ProgressMode,
    private readonly read: () => { progress: FleetProgress; elapsedMs: number; durationMs: number },
    private readonly plainEveryMs = 5000,
  ) {}

  start(): void {
    const tick = this.mode === 'tty' ? 1000 : Math.min(1000, this.plainEveryMs)
    this.timer = setInterval(() => this.draw(), tick)
    this.timer.unref()
  }

  /** A line of its own (a scenario step), without tearing the redrawn one. */
  say(line: string): void {
    if (this.mode === 'json') return this.out.write(JSON.stringify({ type: 'log', line }) + '\n')
    if (this.drawn) this.out.write('\r\x1b[2K')
    this.out.write(line + '\n')
    this.drawn = false
    if (this.mode === 'tty') this.draw()
  }

  draw(force = false): void {
    const { progress, elapsedMs, durationMs } = this.read()
    if (this.mode === 'json') {
      const now = Date.now()
      if (!force && now - this.lastPlain < this.plainEveryMs) return
      this.lastPlain = now
      return this.out.write(JSON.stringify({ type: 'progress', elapsedMs, ...progress }) + '\n')
    }
    const line = progressLine(progress, elapsedMs, durationMs)
    if (this.mode === 'tty') {
      this.out.write(`\r\x1b[2K${line}`)
      this.drawn = true
      return
    }
    const now = Date.now()
    if (!force && now - this.lastPlain < this.plainEveryMs) return
    this.lastPlain = now
    this.out.write(line + '\n')
  }

  /** Stops the ticker; `final` draws the last state once more (not when the run was called off). */
  stop(final = true): void {
    if (this.timer) clearInterval(this.timer)
    this.timer = null
    if (final) this.draw(true)
    if (this.mode === 'tty' && this.drawn) this.out.write('\n')
    this.drawn = false
  }
}
