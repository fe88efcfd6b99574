import { closeSync, fstatSync, openSync, readSync } from 'node:fs'
import { basename, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'
import { loadModel, type DeviceModel } from '../../shared/dtdl'
import { UsageError } from './errors'
import { fleetLimits } from './limits'

// The template every device of the fleet runs: one DTDL file (an interface, or an IoT Central
// export), read once and shared by all sessions.

/**
 * The repo's failover.json: two folders above this file, in the sources (electron/fleet/) and in
 * the build (out/cli/, out/chunks/) alike.
 */
export const defaultTemplatePath = () =>
  resolve(fileURLToPath(new URL('.', import.meta.url)), '../../failover.json')

export interface FleetTemplate {
  model: DeviceModel
  /** As the report names it: the file's name, or `failover.json (built in)`. */
  source: string
}

/** Only a regular file, and no more of it than a template may have (a FIFO or /dev/zero never ends). */
function readBounded(path: string): string {
  let fd: number
  try {
    fd = openSync(path, 'r')
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code
    throw new UsageError(
      `--template ${path}: ${code === 'ENOENT' ? 'no such file' : code === 'EACCES' ? 'not readable' : (e as Error).message}`,
    )
  }
  try {
    const st = fstatSync(fd)
    if (!st.isFile()) throw new UsageError(`--template ${path}: not a regular file`)
    if (st.size > fleetLimits.maxTemplateBytes)
      throw new UsageError(
        `--template ${path}: ${st.size} bytes; a template file may have at most ${fleetLimits.maxTemplateBytes}`,
      )
    const buf = Buffer.alloc(st.size)
    let got = 0
    while (got < st.size) {
      const n = readSync(fd, buf, got, st.size - got, got)
      if (n === 0) break
      got += n
    }
    return buf.subarray(0, got).toString('utf8')
  } finally {
    closeSync(fd)
  }
}

/** Loads the template; one that does not load is a UsageError listing its first problems. */
export function loadTemplate(path: string | undefined): FleetTemplate {
  const file = path ?? defaultTemplatePath()
  const text = readBounded(file)
  const load = loadModel([{ name: basename(file), text }])
  if (!load.ok) {
    const shown = load.problems.slice(0, 3).map((p) => `${p.path || '(file)'}: ${p.message}`)
    const more = load.problems.length > 3 ? ` (and ${load.problems.length - 3} more)` : ''
    throw new UsageError(`--template ${file} does not load: ${shown.join('; ')}${more}`)
  }
  return { model: load.model, source: path ? basename(file) : `${basename(file)} (built in)` }
}
