import { useMemo } from 'react'
import { clock, json } from '../format'
import { useApp } from '../store'
import { responseText } from './Inbound'

export function Properties() {
  const snapshot = useApp((s) => s.snapshot)
  const model = useApp((s) => s.info?.model)
  const inbound = useApp((s) => s.inbound)
  const reportedLog = useApp((s) => s.reported)
  const desiredEdits = useMemo(
    () =>
      inbound
        .filter((e) => e.kind === 'desired')
        .slice(-30)
        .reverse(),
    [inbound],
  )
  const recentReports = reportedLog.slice(-6).reverse()
  const reported = snapshot?.reported ?? {}
  const desired = snapshot?.desired ?? {}
  const props = model?.properties ?? []
  const extra = Object.keys(reported).filter(
    (k) => !k.startsWith('$') && !props.some((p) => p.name === k),
  )

  return (
    <section className="card properties" aria-label="Properties">
      <div className="card-head">
        <h2>Properties</h2>
      </div>
      <table className="props" data-testid="reported-values">
        <thead>
          <tr>
            <th>property</th>
            <th>reported</th>
            <th>desired</th>
          </tr>
        </thead>
        <tbody>
          {props.map((p) => (
            <tr key={p.name} data-testid={`property-${p.name}`}>
              <td>
                {p.displayName}
                {p.writable && <span className="chip chip-desired small">writable</span>}
              </td>
              <td className="mono">{showValue(reported[p.name])}</td>
              <td className="mono">{p.writable ? showValue(desired[p.name]) : ''}</td>
            </tr>
          ))}
          {extra.map((k) => (
            <tr key={k}>
              <td>{k}</td>
              <td className="mono">{showValue(reported[k])}</td>
              <td />
            </tr>
          ))}
        </tbody>
      </table>
      <h3>Desired edits</h3>
      <ul className="edits" data-testid="desired-list" tabIndex={0} aria-label="Desired edits">
        {desiredEdits.length === 0 && <li className="empty">None yet.</li>}
        {desiredEdits.map((e) => (
          <li key={e.id} data-testid="desired-row" data-name={e.name}>
            <span className="mono muted">{clock(e.at, false)}</span>
            <span className="mono">
              {e.name}={json(e.payload, 40)}
            </span>
            <span className={e.response.status === 200 ? 'resp resp-ok' : 'resp resp-bad'}>
              {responseText(e)}
            </span>
          </li>
        ))}
      </ul>
      <h3>Reported patches</h3>
      <ul className="edits" data-testid="reported-log" tabIndex={0} aria-label="Reported patches">
        {recentReports.length === 0 && <li className="empty">None yet.</li>}
        {recentReports.map((r) => (
          <li key={r.id} data-testid="reported-row" data-status={r.status}>
            <span className="mono muted">{clock(r.at, false)}</span>
            <span className="mono">{json(r.patch, 60)}</span>
            <span className={`status status-${r.status}`}>{r.status}</span>
          </li>
        ))}
      </ul>
    </section>
  )
}

/** Reported values of writable properties are acks ({ value, ac, av, ad }); show the value. */
function showValue(v: unknown): string {
  if (v === undefined) return '—'
  if (v && typeof v === 'object' && 'value' in v && 'ac' in v) {
    const a = v as { value: unknown; ac: unknown }
    return `${json(a.value, 30)} (ac ${String(a.ac)})`
  }
  if (typeof v === 'number') return Number.isInteger(v) ? String(v) : v.toFixed(2)
  return json(v, 40)
}
