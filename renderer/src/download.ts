/** Saves text as a file through the browser's download (both shells let the page do this). */
export function downloadText(text: string, fileName: string, type: string): void {
  const url = URL.createObjectURL(new Blob([text], { type }))
  const a = document.createElement('a')
  a.href = url
  a.download = fileName
  document.body.appendChild(a)
  a.click()
  a.remove()
  setTimeout(() => URL.revokeObjectURL(url), 10_000)
}

/** A file-name-safe timestamp: 2026-11-28T16-20-02-123Z. */
export const fileStamp = (at = Date.now()) => new Date(at).toISOString().replace(/[:.]/g, '-')
