import { useEffect, useRef, useState } from 'react'
import { actions, useApp } from '../store'
import { isJsonName } from '../template-files'
import { isBuiltIn, LoadOutcome, ModelFacts } from './ModelReport'

/**
 * The device template in the settings: which one the device is, and loading another — a template
 * file (with any files it references), optionally a models folder to resolve references from.
 */
export function TemplateSection() {
  const report = useApp((s) => s.info?.modelReport ?? null)
  const load = useApp((s) => (s.templateLoad?.via === 'settings' ? s.templateLoad : null))
  const busy = useApp((s) => !!s.pending['model'])
  const fileInput = useRef<HTMLInputElement>(null)
  const folderInput = useRef<HTMLInputElement>(null)
  // Kept, so choosing the folder after a template that lacked it loads the template again.
  const [templates, setTemplates] = useState<File[]>([])
  const [folder, setFolder] = useState<File[]>([])

  useEffect(() => {
    // Not a React attribute in every version: set on the element itself.
    if (folderInput.current) folderInput.current.webkitdirectory = true
  }, [])

  const chosen = (input: HTMLInputElement | null): File[] => {
    const files = [...(input?.files ?? [])]
    if (input) input.value = ''
    return files
  }
  const pickTemplates = () => {
    const files = chosen(fileInput.current)
    if (!files.length) return
    setTemplates(files)
    void actions.loadTemplate(files, folder, 'settings')
  }
  const pickFolder = () => {
    const files = chosen(folderInput.current)
    if (!files.length) return
    setFolder(files)
    if (templates.length) void actions.loadTemplate(templates, files, 'settings')
  }
  const folderJson = folder.filter((f) => isJsonName(f.webkitRelativePath || f.name)).length

  return (
    <fieldset className="template" data-testid="template-section">
      <legend>Device template</legend>
      {report?.loaded && <ModelFacts report={report} />}
      <div className="template-buttons">
        <button
          type="button"
          data-testid="template-load"
          disabled={busy}
          onClick={() => fileInput.current?.click()}
        >
          {busy ? 'Loading…' : 'Load template…'}
        </button>
        <input
          ref={fileInput}
          type="file"
          accept=".json,application/json"
          multiple
          hidden
          data-testid="template-file"
          onChange={pickTemplates}
        />
        <button
          type="button"
          data-testid="template-folder-pick"
          disabled={busy}
          onClick={() => folderInput.current?.click()}
        >
          Models folder…
        </button>
        <input
          ref={folderInput}
          type="file"
          multiple
          hidden
          data-testid="template-folder"
          onChange={pickFolder}
        />
        <button
          type="button"
          data-testid="template-reset"
          disabled={busy || !report || isBuiltIn(report)}
          onClick={() => void actions.resetTemplate('settings')}
        >
          Use built-in template
        </button>
      </div>
      <p className="field-hint">
        The first file chosen is the template; any others, and the models folder&apos;s .json files,
        define the interfaces it references. You can also drop .json files on the window.
        {folder.length > 0 && (
          <span data-testid="template-folder-note">
            {' '}
            Models folder: {folderJson} .json file(s).
          </span>
        )}
      </p>
      {load && <LoadOutcome load={load} />}
    </fieldset>
  )
}
