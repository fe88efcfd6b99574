import { useDeferredValue, useMemo, useState } from 'react'
import { TIMELINE_RETENTION, type TimelineEntry } from '../../../shared/domain'
import { type HubNamer, describeCause, hubNamer } from '../../../shared/timeline'
import { clock, duration, stateLabels, stateTone } from '../format'
import { useDevice } from '../store'
import { VirtualList } from './VirtualList'

const ROW_HEIGHT = 28
/** A filter is a few words; what is echoed back of it is bounded too. */
const maxFilterChars = 200
const echo = (q: string) => (q.length > 60 ? `${q.slice(0, 60)}…` : q)

export function Timeline() {
  const timeline = useDevice((d) => d.timeline)
  const hubLabels = useDevice((d) => d.hubLabels)
  const deviceId = useDevice((d) => d.snapshot?.deviceId ?? 'device')
  const name = useMemo(() => hubNamer(hubLabels), [hubLabels])
  const [filter, setFilter] = useState('')
  const deferred = useDeferredValue(filter)

  const rows = useMemo(() => {
    const q = deferred.trim().toLowerCase()
    const list = q ? timeline.filter((e) => matches(e, q, hubLabels)) : timeline
    return list
  }, [timeline, deferred, hubLabels])
  // Newest first: a new entry goes on top. The list keeps a reader's place below it.
  const anchor = useMemo(
    () => ({
      firstKey: rows.length ? rows[rows.length - 1]!.id : null,
      indexOf: (id: number) => {
        const at = indexById(rows, id)
        return at < 0 ? -1 : rows.length - 1 - at
      },
    }),
    [rows],
  )
  // Entry ids count from 1 in a session: a first id above 1 means older entries were not kept.
  const dropped = timeline.length ? timeline[0]!.id - 1 : 0

  const exportJsonl = () => {
    const text =
      rows.map((e) => JSON.stringify({ ...e, time: new Date(e.at).toISOString() })).join('\n') +
      '\n'
    const url = URL.createObjectURL(new Blob([text], { type: 'application/x-ndjson' }))
    const a = document.createElement('a')
    a.href = url
    a.download = `timeline-${deviceId}-${new Date().toISOString().replace(/[:.]/g, '-')}.jsonl`
    document.body.appendChild(a)
    a.click()
    a.remove()
    setTimeout(() => URL.revokeObjectURL(url), 10_000)
  }

  return (
    <section className="card timeline" aria-label="Connection timeline">
      <div className="card-head">
        <h2>Timeline</h2>
        <span className="muted small" data-testid="timeline-count">
          {rows.length === timeline.length
            ? `${timeline.length} entries`
            : `${rows.length} of ${timeline.length}`}
        </span>
        {dropped > 0 && (
          <span
            className="muted small"
            data-testid="timeline-retention"
            title={`The app keeps the last ${TIMELINE_RETENTION.toLocaleString()} entries; export regularly to keep more.`}
          >
            (the first {dropped.toLocaleString()} were not kept)
          </span>
        )}
        <span className="spacer" />
        <input
          type="search"
          className="filter"
          placeholder="Filter (state, hub, reason, failover…)"
          aria-label="Filter the timeline"
          data-testid="timeline-filter"
          value={filter}
          maxLength={maxFilterChars}
          onChange={(e) => setFilter(e.target.value.slice(0, maxFilterChars))}
        />
        <button
          type="button"
          data-testid="timeline-export"
          onClick={exportJsonl}
          disabled={rows.length === 0}
        >
          Export
        </button>
      </div>
      <div className="timeline-cols muted small" aria-hidden="true">
        <span className="c-time">time</span>
        <span className="c-state">state</span>
        <span className="c-hub">hub</span>
        <span className="c-reason">reason</span>
      </div>
      <VirtualList
        key={deferred /* a new filter starts at the newest entry */}
        count={rows.length}
        rowHeight={ROW_HEIGHT}
        testId="timeline-list"
        label="Timeline entries, newest first"
        anchor={anchor}
        empty={
          <div className="empty" data-testid="timeline-empty">
            {timeline.length === 0
              ? 'No transitions yet.'
              : `Nothing matches “${echo(deferred.trim())}”.`}
          </div>
        }
        renderRow={(i) => {
          // Newest first.
          const e = rows[rows.length - 1 - i]!
          return (
            <TimelineRow entry={e} label={e.hub ? (hubLabels[e.hub] ?? e.hub) : ''} name={name} />
          )
        }}
      />
    </section>
  )
}

function TimelineRow({
  entry,
  label,
  name,
}: {
  entry: TimelineEntry
  label: string
  name: HubNamer
}) {
  const tone = stateTone(entry.state)
  // Worded here from the cause, with the hub names this window knows; older entries have words only.
  const reason = entry.cause ? describeCause(entry.cause, name) : entry.reason
  const figure =
    entry.durationMs === undefined
      ? ''
      : entry.cause?.code === 'move-acked'
        ? ` · first ack ${duration(entry.durationMs)}`
        : ` · ${duration(entry.durationMs)}`
  return (
    <div
      className={`trow ${entry.mark ? `trow-${entry.mark}` : ''}`}
      data-testid="timeline-row"
      data-state={entry.state}
      data-mark={entry.mark ?? ''}
    >
      <span className="c-time mono">{clock(entry.at)}</span>
      <span className="c-state">
        <span className={`dot dot-${tone}`} />
        {stateLabels[entry.state]}
      </span>
      <span className="c-hub mono" title={entry.hub} data-testid="timeline-hub">
        {label}
      </span>
      <span className="c-reason" title={reason}>
        {entry.mark && (
          <span className={`badge badge-${entry.mark}`} data-testid={`timeline-${entry.mark}`}>
            {entry.mark}
            {figure}
          </span>
        )}
        {reason}
      </span>
    </div>
  )
}

function matches(e: TimelineEntry, q: string, labels: Record<string, string>): boolean {
  const hay = [
    e.state,
    stateLabels[e.state],
    e.reason,
    e.hub ?? '',
    e.hub ? (labels[e.hub] ?? '') : '',
    e.mark ?? '',
  ]
    .join(' ')
    .toLowerCase()
  return hay.includes(q)
}

/** Where the entry with `id` is in a list sorted by id (entries arrive in id order). */
function indexById(list: TimelineEntry[], id: number): number {
  let lo = 0
  let hi = list.length - 1
  while (lo <= hi) {
    const mid = (lo + hi) >> 1
    const v = list[mid]!.id
    if (v === id) return mid
    if (v < id) lo = mid + 1
    else hi = mid - 1
  }
  return -1
}
