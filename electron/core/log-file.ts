import { appendFileSync, mkdirSync, renameSync, rmSync, statSync } from 'node:fs'
import path from 'node:path'

/** SAS tokens, their signatures and connection-string keys, wherever they hide in a line. */
const secretPatterns: RegExp[] = [
  /SharedAccessSignature\s+[^\s"',;]+/gi,
  /\bsig=[^&\s"',;]+/gi,
  /\bSharedAccessKey=[^;\s"',]+/gi,
]

/**
 * Removes what must never be written down: SAS tokens and signatures by shape, and the keys the
 * app knows it holds by value (a group or device key could appear in any library's error text).
 */
export class Redactor {
  private readonly known = new Set<string>()

  /** Remembers a secret to scrub from every line from now on. */
  add(secret: string | undefined): void {
    if (secret && secret.length >= 8) this.known.add(secret)
  }

  redact(text: string): string {
    let out = text
    for (const p of secretPatterns)
      out = out.replace(p, (m) => m.replace(/(=|\s)[\s\S]*$/, '$1[redacted]'))
    for (const s of this.known) if (out.includes(s)) out = out.split(s).join('[redacted key]')
    return out
  }
}

export interface LogFileOptions {
  /** Rotate when the current file passes this size (default 1 MiB). */
  maxBytes?: number
  /** Rotated files kept besides the current one (default 3: app.log.1 … app.log.3). */
  keep?: number
  now?: () => Date
}

/**
 * A rotating log file in the app's data folder: what a user attaches to a bug report. Written
 * synchronously (lines are few: connection changes, errors, the lab's address) so the last line
 * before a crash is on disk. A failing disk never breaks the app: logging goes quiet instead.
 */
export class LogFile {
  readonly file: string
  private readonly maxBytes: number
  private readonly keep: number
  private readonly now: () => Date
  private size = 0
  private broken = false
  private readonly recent: string[] = []

  constructor(
    readonly dir: string,
    private readonly redactor: Redactor,
    options: LogFileOptions = {},
  ) {
    this.file = path.join(dir, 'app.log')
    this.maxBytes = options.maxBytes ?? 1024 * 1024
    this.keep = options.keep ?? 3
    this.now = options.now ?? (() => new Date())
    try {
      mkdirSync(dir, { recursive: true, mode: 0o700 })
      this.size = statSync(this.file).size
    } catch {
      this.size = 0
    }
  }

  write(line: string): void {
    // One line per entry, bounded: a runaway message cannot fill the disk in one go.
    const clean = this.redactor
      .redact(line)
      .replace(/[\r\n]+/g, ' ⏎ ')
      .slice(0, 4000)
    const text = `${this.now().toISOString()} ${clean}\n`
    this.recent.push(text.trimEnd())
    if (this.recent.length > 200) this.recent.splice(0, this.recent.length - 200)
    if (this.broken) return
    try {
      if (this.size + text.length > this.maxBytes) this.rotate()
      appendFileSync(this.file, text, { mode: 0o600 })
      this.size += Buffer.byteLength(text)
    } catch {
      this.broken = true
    }
  }

  /** The last lines written (redacted), for "Copy diagnostics". */
  tail(n = 100): string[] {
    return this.recent.slice(-n)
  }

  private rotate(): void {
    rmSync(`${this.file}.${this.keep}`, { force: true })
    for (let i = this.keep - 1; i >= 1; i--) {
      try {
        renameSync(`${this.file}.${i}`, `${this.file}.${i + 1}`)
      } catch {
        // Not there yet: fewer rotations so far.
      }
    }
    try {
      renameSync(this.file, `${this.file}.1`)
    } catch {
      // Nothing to rotate.
    }
    this.size = 0
  }
}
