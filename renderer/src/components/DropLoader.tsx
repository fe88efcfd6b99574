import { useEffect, useState } from 'react'
import { actions, useApp } from '../store'
import { isJsonName } from '../template-files'
import { LoadOutcome } from './ModelReport'

const carriesFiles = (e: DragEvent) =>
  !!e.dataTransfer && [...e.dataTransfer.types].includes('Files')

/**
 * Template files dropped anywhere on the window load as from the settings: the first file is the
 * template, the others the models it references. The outcome stays in a banner until dismissed.
 * Every file drag is caught, so a dropped file never replaces the page (Electron would open it).
 */
export function DropLoader() {
  const [over, setOver] = useState(false)
  const load = useApp((s) => (s.templateLoad?.via === 'drop' ? s.templateLoad : null))

  useEffect(() => {
    // dragenter and dragleave fire for every element crossed: count, so the overlay never flickers.
    let depth = 0
    const enter = (e: DragEvent) => {
      if (!carriesFiles(e)) return
      e.preventDefault()
      depth++
      setOver(true)
    }
    const overWindow = (e: DragEvent) => {
      if (!carriesFiles(e)) return
      e.preventDefault()
      if (e.dataTransfer) e.dataTransfer.dropEffect = 'copy'
    }
    const leave = (e: DragEvent) => {
      if (!carriesFiles(e)) return
      depth = Math.max(0, depth - 1)
      if (depth === 0) setOver(false)
    }
    const drop = (e: DragEvent) => {
      if (!carriesFiles(e)) return
      e.preventDefault()
      depth = 0
      setOver(false)
      const files = [...(e.dataTransfer?.files ?? [])]
      const json = files.filter((f) => isJsonName(f.name))
      const others = files
        .filter((f) => !isJsonName(f.name))
        .map((f) => `${f.name}: not a .json file`)
      void actions.loadTemplate(json, [], 'drop', others)
    }
    window.addEventListener('dragenter', enter)
    window.addEventListener('dragover', overWindow)
    window.addEventListener('dragleave', leave)
    window.addEventListener('drop', drop)
    return () => {
      window.removeEventListener('dragenter', enter)
      window.removeEventListener('dragover', overWindow)
      window.removeEventListener('dragleave', leave)
      window.removeEventListener('drop', drop)
    }
  }, [])

  return (
    <>
      {over && (
        <div className="drop-overlay" data-testid="drop-overlay">
          <p>
            Drop a device template (.json) to load it
            <span className="small">
              The first file is the template; the others define the interfaces it references.
            </span>
          </p>
        </div>
      )}
      {load && (
        <div className="banners template-banner" data-testid="template-banner">
          <LoadOutcome load={load} />
          <button
            type="button"
            className="link"
            data-testid="template-banner-dismiss"
            onClick={actions.dismissTemplateLoad}
          >
            Dismiss
          </button>
        </div>
      )}
    </>
  )
}
