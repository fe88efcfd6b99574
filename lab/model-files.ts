import {
  closeSync,
  constants,
  fstatSync,
  lstatSync,
  openSync,
  readdirSync,
  readSync,
  realpathSync,
} from 'node:fs'
import { isAbsolute, join, relative, resolve } from 'node:path'
import { modelLimits } from '../shared/dtdl/limits'
import { dtmiPath } from '../shared/dtdl/parse'
import type { ModelDocument } from '../shared/dtdl/types'

// Template files from disk, for `lizard model check` and the lab's --models folders. A path is
// whatever the user typed, so it may name a FIFO (a read that never ends), a device (/dev/zero,
// a read that never stops) or a link out of the folder: only regular files are read, and no read
// goes past the size a template may have.

/** A path that cannot be read as templates; the message names it and says why. */
export class ModelFileError extends Error {}

/** Lab's choice: a folder walk looks at no more entries, and no deeper, than this. */
const walkLimits = { entries: 20_000, depth: 32 }

interface Budget {
  files: number
  bytes: number
  entries: number
}

/**
 * The documents at `paths`: a file is read as it is; a folder is walked for `*.json` files (in
 * name order; hidden entries such as .git and linked folders are not entered). Throws ModelFileError for a path that is not
 * there, not a regular file or folder, a symbolic link, or past modelLimits (file size, file
 * count, total size): a model check must not quietly leave a file out.
 */
export function readModelDocuments(paths: string[]): ModelDocument[] {
  const budget: Budget = { files: 0, bytes: 0, entries: 0 }
  const out: ModelDocument[] = []
  for (const p of paths) {
    const st = lstatOf(p)
    if (st.isSymbolicLink())
      throw new ModelFileError(`${p}: is a symbolic link; give what it points to`)
    if (st.isDirectory()) walk(p, 0, budget, out)
    else out.push(readCounted(p, budget))
  }
  return out
}

/**
 * Finds a DTMI in a models folder laid out as the models repository is
 * (`dtmi:com:example:Thermostat;1` → `DIR/dtmi/com/example/thermostat-1.json`). A path that would
 * leave the folder, by `..` or by a link, is refused (null), as is anything not a regular file.
 */
export function folderResolver(dir: string): (dtmi: string) => ModelDocument | null {
  const root = resolve(dir)
  return (dtmi) => {
    const rel = dtmiPath(dtmi)
    const full = resolve(root, rel)
    if (!inside(root, full)) return null
    try {
      // A link anywhere on the way (a folder under dtmi/ that points elsewhere) is refused too.
      if (!inside(realpathSync(root), realpathSync(full))) return null
      return { name: join(dir, rel), text: readRegular(full, modelLimits.fileChars) }
    } catch {
      return null
    }
  }
}

function inside(root: string, full: string): boolean {
  const r = relative(root, full)
  return r !== '' && !r.startsWith('..') && !isAbsolute(r)
}

function lstatOf(p: string) {
  try {
    return lstatSync(p)
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code
    throw new ModelFileError(
      code === 'ENOENT'
        ? `${p}: no such file or folder`
        : `${p}: cannot be read (${code ?? (e as Error).message})`,
    )
  }
}

function walk(dir: string, depth: number, budget: Budget, out: ModelDocument[]): void {
  if (depth > walkLimits.depth)
    throw new ModelFileError(`${dir}: folders nest deeper than ${walkLimits.depth} levels`)
  let names: string[]
  try {
    names = readdirSync(dir).sort()
  } catch (e) {
    throw new ModelFileError(
      `${dir}: cannot be read (${(e as NodeJS.ErrnoException).code ?? (e as Error).message})`,
    )
  }
  for (const name of names) {
    if (++budget.entries > walkLimits.entries)
      throw new ModelFileError(
        `${dir}: more than ${walkLimits.entries} entries to look through; point at the templates' own folder`,
      )
    if (name.startsWith('.')) continue
    const p = join(dir, name)
    const st = lstatOf(p)
    const json = name.toLowerCase().endsWith('.json')
    if (st.isSymbolicLink()) {
      if (json) throw new ModelFileError(`${p}: is a symbolic link; only regular files are read`)
    } else if (st.isDirectory()) walk(p, depth + 1, budget, out)
    else if (json) out.push(readCounted(p, budget))
  }
}

function readCounted(p: string, budget: Budget): ModelDocument {
  if (++budget.files > modelLimits.files)
    throw new ModelFileError(`${p}: more than ${modelLimits.files} template files at once`)
  const text = readRegular(p, modelLimits.fileChars)
  budget.bytes += text.length
  if (budget.bytes > modelLimits.totalChars)
    throw new ModelFileError(
      `${p}: the files come to more than ${modelLimits.totalChars / 1024 / 1024} MiB together`,
    )
  return { name: p, text }
}

// O_NONBLOCK: opening a FIFO waits for a writer otherwise. Windows has neither flag.
const openFlags = constants.O_RDONLY | (constants.O_NOFOLLOW ?? 0) | (constants.O_NONBLOCK ?? 0)

/** The text of a regular file of at most `max` bytes (a BOM dropped); throws ModelFileError. */
function readRegular(p: string, max: number): string {
  let fd: number
  try {
    fd = openSync(p, openFlags)
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code
    throw new ModelFileError(
      code === 'ELOOP'
        ? `${p}: is a symbolic link; give the file it points to`
        : code === 'ENOENT'
          ? `${p}: no such file`
          : `${p}: cannot be read (${code ?? (e as Error).message})`,
    )
  }
  try {
    const st = fstatSync(fd)
    if (!st.isFile())
      throw new ModelFileError(`${p}: is not a regular file (a FIFO, socket or device)`)
    // Never trust st.size: a file may grow while it is read.
    const buffer = Buffer.alloc(max + 1)
    let length = 0
    for (;;) {
      const n = readSync(fd, buffer, length, buffer.length - length, null)
      if (n === 0) break
      length += n
      if (length > max)
        throw new ModelFileError(`${p}: larger than ${max / 1024 / 1024} MiB; not a template`)
    }
    const text = buffer.subarray(0, length).toString('utf8')
    return text.charCodeAt(0) === 0xfeff ? text.slice(1) : text
  } finally {
    closeSync(fd)
  }
}
