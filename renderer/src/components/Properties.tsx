import { useMemo } from 'react'
import { elementKey, type DeviceModel, type PropertyDef } from '../../../shared/dtdl/types'
import { describeSchema } from '../../../shared/dtdl/values'
import { clock, json } from '../format'
import { asAck, byComponent, inboundLabel, twinValue } from '../model-view'
import { useApp, useDevice } from '../store'
import { valueText } from '../value-text'
import { responseText } from './Inbound'

const isObject = (v: unknown): v is Record<string, unknown> =>
  typeof v === 'object' && v !== null && !Array.isArray(v)

/** Reported keys the model does not name (a previous template's, another tool's): shown, not hidden. */
function unmodelled(reported: Record<string, unknown>, model: DeviceModel): string[] {
  const components = new Set(model.components.map((c) => c.name))
  const known = new Set(model.properties.map(elementKey))
  const out = Object.keys(reported).filter(
    (k) => !k.startsWith('$') && !components.has(k) && !known.has(k),
  )
  for (const c of components) {
    const doc = reported[c]
    if (!isObject(doc)) continue
    for (const k of Object.keys(doc))
      if (k !== '__t' && !known.has(elementKey({ component: c, name: k })))
        out.push(elementKey({ component: c, name: k }))
  }
  return out
}

export function Properties() {
  const snapshot = useDevice((d) => d.snapshot)
  const model = useApp((s) => s.info?.model ?? null)
  const inbound = useDevice((d) => d.inbound)
  const reportedLog = useDevice((d) => d.reported)
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
  const groups = useMemo(() => (model ? byComponent(model.properties, model) : []), [model])
  const extra = model ? unmodelled(reported, model) : []
  const headed = groups.length > 1

  return (
    <section className="card properties" aria-label="Properties">
      <div className="card-head">
        <h2>Properties</h2>
      </div>
      <div className="props-wrap" tabIndex={0} role="region" aria-label="Property values">
        <table className="props" data-testid="reported-values">
          <thead>
            <tr>
              <th scope="col">property</th>
              <th scope="col">reported</th>
              <th scope="col">desired</th>
            </tr>
          </thead>
          {groups.map((g) => (
            <tbody
              key={g.component ?? ''}
              data-testid="property-group"
              data-component={g.component ?? ''}
            >
              {headed && (
                <tr className="props-group">
                  <th colSpan={3} scope="colgroup">
                    {g.label}
                  </th>
                </tr>
              )}
              {g.items.map((p) => (
                <PropertyRow
                  key={elementKey(p)}
                  p={p}
                  reported={twinValue(reported, p.component, p.name)}
                  desired={twinValue(desired, p.component, p.name)}
                />
              ))}
            </tbody>
          ))}
          {extra.length > 0 && (
            <tbody>
              {extra.map((k) => {
                const [c, n] = k.includes('/') ? k.split('/', 2) : [null, k]
                return (
                  <tr key={k} data-testid={`property-${k}`}>
                    <td className="muted" title="not in the model">
                      {k}
                    </td>
                    <td className="mono">{json(twinValue(reported, c ?? null, n!), 40)}</td>
                    <td />
                  </tr>
                )
              })}
            </tbody>
          )}
        </table>
      </div>
      <h3>Desired edits</h3>
      <ul className="edits" data-testid="desired-list" tabIndex={0} aria-label="Desired edits">
        {desiredEdits.length === 0 && <li className="empty">None yet.</li>}
        {desiredEdits.map((e) => (
          <li key={e.id} data-testid="desired-row" data-name={e.name}>
            <span className="mono muted">{clock(e.at, false)}</span>
            <span className="mono" title={e.name}>
              {model ? inboundLabel(e, model) : e.name}={json(e.payload, 40)}
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

/** One property: its reported value (for a writable one, the acknowledgement: value and status). */
function PropertyRow({
  p,
  reported,
  desired,
}: {
  p: PropertyDef
  reported: unknown
  desired: unknown
}) {
  const key = elementKey(p)
  const ack = p.writable ? asAck(reported) : null
  return (
    <tr data-testid={`property-${key}`}>
      <td title={`${p.name}: ${describeSchema(p.schema)}`}>
        {p.displayName}
        {p.writable && <span className="chip chip-desired small">writable</span>}
      </td>
      <td className="mono" data-testid={`property-reported-${key}`}>
        {ack ? (
          <>
            {valueText(ack.value, p.schema, 30)}{' '}
            <span
              className={ack.ac >= 200 && ack.ac < 300 ? 'ack resp-ok small' : 'ack resp-bad small'}
              data-testid={`property-ack-${key}`}
              title={ack.ad}
            >
              ac {ack.ac}
              {ack.av !== undefined ? ` v${ack.av}` : ''}
            </span>
          </>
        ) : (
          valueText(reported, p.schema, 30)
        )}
      </td>
      <td className="mono" data-testid={`property-desired-${key}`}>
        {p.writable ? valueText(desired, p.schema, 30) : ''}
      </td>
    </tr>
  )
}
