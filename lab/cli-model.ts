import { lstatSync } from 'node:fs'
import type { ModelDocument, ModelProblem, ModelReport } from '../shared/dtdl/types'
import { folderResolver, ModelFileError, readModelDocuments } from './model-files'
import { loadTemplates } from './templates'

// `lizard model check`: templates read and judged on this machine, no lab needed. What the
// window says of a template, said for a terminal (and, with --json, for a script).

/** A path the user named that is not there or not readable; `lizard` says which and exits 2. */
export class PathError extends Error {}

/**
 * Each file given, and every `.json` in each folder given, as a template: what it references
 * resolves from the other files given, then from the `--models` folders (repository layout),
 * then from the folders given themselves.
 */
export function checkTemplateFiles(paths: string[], modelsDirs: string[]): ModelReport[] {
  for (const dir of modelsDirs) {
    let isDir = false
    try {
      isDir = lstatSync(dir).isDirectory()
    } catch {
      throw new PathError(`--models ${dir}: no such folder`)
    }
    if (!isDir) throw new PathError(`--models ${dir}: not a folder`)
  }
  const docs = readTemplateFiles(paths)
  const folders = paths.filter((p) => lstatSync(p).isDirectory())
  const resolvers = [...modelsDirs, ...folders].map(folderResolver)
  return loadTemplates(docs, resolvers).map((t) => t.report)
}

/** The documents at `paths` (files, and folders walked); a PathError says which path failed. */
export function readTemplateFiles(paths: string[]): ModelDocument[] {
  let docs: ModelDocument[]
  try {
    docs = readModelDocuments(paths)
  } catch (e) {
    if (e instanceof ModelFileError) throw new PathError(e.message)
    throw e
  }
  if (docs.length === 0) throw new PathError(`${paths.join(', ')}: no .json files in it`)
  return docs
}

const plural = (n: number, one: string, many = one + 's') => `${n} ${n === 1 ? one : many}`

function problemLine(p: ModelProblem, source: string): string {
  const file = p.file && p.file !== source ? `${p.file} ` : ''
  return `${file}${p.path || '(file)'}: ${p.message}`
}

/** One template's report, as `lizard model check` prints it. */
export function reportText(r: ModelReport): string {
  if (!r.loaded) {
    return [
      `${r.source}: does not load (${plural(r.problems.length, 'problem')})`,
      ...r.problems.map((p) => `  ${problemLine(p, r.source)}`),
    ].join('\n')
  }
  const c = r.counts!
  const asides = (title: string, list: ModelReport['leftToCloud']) =>
    list.length === 0
      ? [`  ${title}: nothing`]
      : [`  ${title}:`, ...list.map((a) => `    ${a.path}  ${a.what}: ${a.why}`)]
  return [
    `${r.source}: loads — ${r.modelId}${r.displayName && r.displayName !== r.modelId ? ` (${r.displayName})` : ''}`,
    `  emulated: ${plural(c.components, 'component')}, ${c.telemetry} telemetry, ${plural(c.properties, 'property', 'properties')} (${c.writable} writable), ${plural(c.commands, 'command')}`,
    ...asides('left to the cloud', r.leftToCloud),
    ...asides('not emulated', r.notEmulated),
    ...(r.warnings.length
      ? ['  warnings:', ...r.warnings.map((w) => `    ${problemLine(w, r.source)}`)]
      : []),
  ].join('\n')
}

export function reportsText(reports: ModelReport[]): string {
  const failed = reports.filter((r) => !r.loaded).length
  const lines = reports.map(reportText)
  if (reports.length > 1)
    lines.push(
      failed === 0
        ? `${plural(reports.length, 'template')}: all load`
        : `${plural(reports.length, 'template')}: ${reports.length - failed} load, ${failed} ${failed === 1 ? 'does' : 'do'} not`,
    )
  return lines.join('\n')
}
