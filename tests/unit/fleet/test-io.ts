import type { CliIo } from '../../../electron/fleet/io'

/** A CliIo that keeps what the CLI wrote; `abort` is Ctrl+C. */
export function testIo(env: NodeJS.ProcessEnv = {}) {
  const out: string[] = []
  const err: string[] = []
  const abort = new AbortController()
  const io: CliIo = {
    stdout: { write: async (t) => void out.push(t) },
    stderr: { write: (t) => void err.push(t) },
    stderrIsTTY: false,
    env,
    signal: abort.signal,
    parent: null,
    onFault: () => () => {},
  }
  return {
    io,
    abort: () => abort.abort(),
    stdout: () => out.join(''),
    stderr: () => err.join(''),
  }
}
