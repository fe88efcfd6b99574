// Durations as people type them: 90s, 10m, 1h30m, 1500ms, 2.5s; a bare number is seconds.

const unitMs = { ms: 1, s: 1000, m: 60_000, h: 3600_000, d: 86_400_000 } as const
const part = /(\d+(?:\.\d+)?)(ms|s|m|h|d)/y
const bare = /^\d+(?:\.\d+)?$/

/** Milliseconds, or null for anything that is not a duration (negative, empty, "abc", "5 parsecs"). */
export function parseDuration(text: string): number | null {
  const t = text.trim()
  if (t.length === 0 || t.length > 40) return null
  if (bare.test(t)) return Math.round(Number(t) * 1000)
  let ms = 0
  part.lastIndex = 0
  while (part.lastIndex < t.length) {
    const at = part.lastIndex
    const m = part.exec(t)
    if (!m || m.index !== at) return null
    ms += Number(m[1]) * unitMs[m[2] as keyof typeof unitMs]
  }
  return Number.isFinite(ms) ? Math.round(ms) : null
}

/** 90_000 → "1m30s", 1500 → "1.5s", 250 → "250ms": short, and parseDuration reads it back. */
export function formatDuration(ms: number): string {
  if (!Number.isFinite(ms)) return String(ms)
  if (ms < 1000) return `${Math.round(ms)}ms`
  if (ms < 60_000) return `${Number((ms / 1000).toFixed(ms < 10_000 ? 2 : 1))}s`
  const total = Math.round(ms / 1000)
  const h = Math.floor(total / 3600)
  const m = Math.floor((total % 3600) / 60)
  const s = total % 60
  return `${h ? `${h}h` : ''}${m ? `${m}m` : ''}${s ? `${s}s` : ''}` || '0s'
}
