import { modelLimits } from '../../shared/dtdl/limits'
import type { ModelDocument } from '../../shared/dtdl/types'

// Template files as the window reads them (File.text(), in the page) before sending them to be
// loaded: bounded here as the app bounds them, so a folder of thousands of files or a stray
// video is never read into memory, and every file left out is named with why.

export interface TemplateFiles {
  /** The template first, then the files that may define what it references. */
  files: ModelDocument[]
  skipped: string[]
}

const mib = (n: number) => `${(n / 2 ** 20).toFixed(1)} MiB`

/** A folder's file by its path in the folder (webkitRelativePath), else its name. */
const nameOf = (f: File) => f.webkitRelativePath || f.name

export const isJsonName = (name: string) => /\.json$/i.test(name)

/**
 * Reads the template (the first of `templates`; any others are referenced models) and the
 * models folder's .json files. Nothing is sent when the template itself cannot be.
 */
export async function readTemplateFiles(
  templates: readonly File[],
  folder: readonly File[] = [],
): Promise<TemplateFiles> {
  const skipped: string[] = []
  const files: ModelDocument[] = []
  let total = 0
  // Folders hold READMEs and pictures beside the models: left out without a line each.
  const folderJson = folder
    .filter((f) => isJsonName(nameOf(f)))
    .sort((a, b) => nameOf(a).localeCompare(nameOf(b)))
  const all = [...templates, ...folderJson]
  for (let i = 0; i < all.length; i++) {
    const f = all[i]!
    const name = nameOf(f)
    if (files.length >= modelLimits.files) {
      skipped.push(`${all.length - i} more file(s): at most ${modelLimits.files} are read at once`)
      break
    }
    if (f.size > modelLimits.fileChars) {
      skipped.push(`${name}: ${mib(f.size)}, larger than ${mib(modelLimits.fileChars)}`)
      // Without its template the rest means nothing: send none of it.
      if (i === 0) break
      continue
    }
    if (total + f.size > modelLimits.totalChars) {
      skipped.push(`${name}: the files together would pass ${mib(modelLimits.totalChars)}`)
      if (i === 0) break
      continue
    }
    let text: string
    try {
      text = await f.text()
    } catch (err) {
      skipped.push(`${name}: could not be read (${err instanceof Error ? err.message : 'error'})`)
      if (i === 0) break
      continue
    }
    // The template picked from inside the models folder comes once, as the template.
    if (i >= templates.length && files.some((d) => d.text === text)) continue
    files.push({ name: name.slice(0, 256), text })
    total += f.size
  }
  return { files, skipped }
}
