import { useState } from 'react'
import { copyText } from '../format'
import { useApp } from '../store'

export function LabHint() {
  const lab = useApp((s) => s.info?.lab ?? null)
  const [copied, setCopied] = useState(false)
  if (!lab) return null
  return (
    <footer className="labhint" data-testid="lab-hint">
      <span>Try it:</span>
      <code data-testid="lab-try-failover">{lab.tryFailover}</code>
      <button
        type="button"
        className="link"
        onClick={() =>
          void copyText(lab.tryFailover).then((ok) => {
            setCopied(ok)
            setTimeout(() => setCopied(false), 1500)
          })
        }
      >
        {copied ? 'Copied' : 'Copy'}
      </button>
      <span className="muted">then</span>
      <code>{lab.tryFailback}</code>
    </footer>
  )
}
