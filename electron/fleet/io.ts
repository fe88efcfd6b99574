import { renameSync, writeFileSync } from 'node:fs'
import type { FleetProgress } from './fleet'

// What a run talks to: its streams, its environment, what stops it, and (in a child of
// --processes) its parent. The program builds the real one; tests give their own.

export interface Out {
  write(text: string): void
}

/** The parent of a --processes child, over the IPC channel. */
export interface ParentLink {
  /** Sessions are built: the parent may give the start. */
  ready(): void
  /** The start time the parent gives (ms since the epoch); null when it says stop first. */
  startTime(): Promise<number | null>
  progress(p: FleetProgress, elapsedMs: number): void
}

export interface CliIo {
  /** The report, when it goes to stdout; resolves once written out. */
  stdout: { write(text: string): Promise<void> }
  stderr: Out
  stderrIsTTY: boolean
  env: NodeJS.ProcessEnv
  /** Ctrl+C: the run ends early and reports what it has. */
  signal: AbortSignal
  parent: ParentLink | null
  /** Installs a handler for exceptions nothing caught; returns its removal. */
  onFault(handler: (e: unknown) => void): () => void
}

/** Writes the report next to its place, then moves it there: a reader never sees half a file. */
export function writeReportFile(path: string, text: string): void {
  const tmp = `${path}.${process.pid}.tmp`
  writeFileSync(tmp, text)
  renameSync(tmp, path)
}

/** Resolves at `at`, or early when the signal aborts. */
export function sleepUntil(at: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal.aborted) return resolve()
    const done = () => {
      clearTimeout(timer)
      signal.removeEventListener('abort', done)
      resolve()
    }
    const timer = setTimeout(done, Math.max(0, at - Date.now()))
    signal.addEventListener('abort', done, { once: true })
  })
}
