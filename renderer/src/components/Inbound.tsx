import { useState } from 'react'
import type { InboundEntry } from '../../../shared/domain'
import type { DeviceModel } from '../../../shared/dtdl/types'
import { clock, copyText, json } from '../format'
import { inboundLabel } from '../model-view'
import { useApp, useDevice } from '../store'
import { VirtualList } from './VirtualList'

const ROW_HEIGHT = 52
const kindLabels: Record<InboundEntry['kind'], string> = {
  method: 'method',
  c2d: 'C2D',
  desired: 'desired',
}

export function Inbound() {
  const inbound = useDevice((d) => d.inbound)
  const model = useApp((s) => s.info?.model ?? null)
  return (
    <section className="card inbound" aria-label="Inbound commands">
      <div className="card-head">
        <h2>Inbound</h2>
        <span className="muted small" data-testid="inbound-count">
          {inbound.length}
        </span>
      </div>
      <VirtualList
        count={inbound.length}
        rowHeight={ROW_HEIGHT}
        testId="inbound-list"
        label="Inbound methods, commands and edits, newest first"
        empty={
          <div className="empty">Direct methods, C2D commands and desired edits appear here.</div>
        }
        renderRow={(i) => <InboundRow entry={inbound[inbound.length - 1 - i]!} model={model} />}
      />
    </section>
  )
}

export function responseText(e: InboundEntry): string {
  const r = e.response
  // Switched off: the device chose not to act (a method caller times out, a desired edit waits).
  if (r.outcome === 'ignored') return 'ignored (switched off)'
  if (e.kind === 'c2d') return r.outcome ?? String(r.status)
  if (e.kind === 'desired') {
    const ack = r.body as { ac?: number; av?: number; ad?: string } | undefined
    if (ack && typeof ack === 'object' && 'ac' in ack)
      return `ac ${ack.ac} v${ack.av ?? '?'}${ack.ad ? ` "${ack.ad}"` : ''}`
    return `${r.status}${r.body !== undefined ? ' ' + json(r.body, 80) : ''}`
  }
  return `${r.status}${r.body !== undefined ? ' ' + json(r.body, 80) : ''}`
}

/** Held or ignored is a choice the user made by switching off, not a failure. */
export function responseTone(e: InboundEntry): 'ok' | 'bad' | 'neutral' {
  const { status, outcome } = e.response
  if (outcome === 'held' || outcome === 'ignored') return 'neutral'
  return status >= 200 && status < 300 && outcome !== 'rejected' ? 'ok' : 'bad'
}

function InboundRow({ entry, model }: { entry: InboundEntry; model: DeviceModel | null }) {
  const [copied, setCopied] = useState(false)
  const tone = responseTone(entry)
  // In the model's words (component · command); the name as it came on the wire on hover.
  const label = model ? inboundLabel(entry, model) : entry.name
  return (
    <div className="irow" data-testid="inbound-row" data-kind={entry.kind} data-name={entry.name}>
      <div className="irow-top">
        <span className="mono muted">{clock(entry.at)}</span>
        <span className={`chip chip-${entry.kind}`}>{kindLabels[entry.kind]}</span>
        <span
          className="iname"
          data-testid="inbound-name"
          title={label === entry.name ? label : `${label} (${entry.name})`}
        >
          {label}
        </span>
        <span className="spacer" />
        <button
          type="button"
          className="link"
          data-testid="inbound-copy"
          onClick={() => {
            void copyText(JSON.stringify(entry, null, 2)).then((done) => {
              setCopied(done)
              setTimeout(() => setCopied(false), 1500)
            })
          }}
        >
          {copied ? 'Copied' : 'Copy'}
        </button>
      </div>
      <div className="irow-body mono">
        <span className="payload" data-testid="inbound-payload" title={json(entry.payload, 2000)}>
          {json(entry.payload, 120)}
        </span>
        <span className="arrow">→</span>
        <span
          className={`resp resp-${tone}`}
          data-testid="inbound-response"
          title={json(entry.response, 2000)}
        >
          {responseText(entry)}
        </span>
      </div>
    </div>
  )
}
