import { useEffect, useId, useRef, useState, type FormEvent } from 'react'
import {
  examActive,
  examEventIds,
  examEventInfo,
  examStartSchema,
  examViewLimits,
  type ExamCheckStatus,
  type ExamEventId,
  type ExamEventStatus,
  type ExamSnapshot,
  type ExamState,
} from '../../../shared/exam-view'
import { downloadText, fileStamp } from '../download'
import { clock, duration } from '../format'
import { useNow } from '../hooks'
import { actions, useApp } from '../store'

// "Is your device ready for the lizard?": lizard exam in the window. What the exam will do, the
// events to run, Start / Stop; while it runs, a checklist of the events with their figures and
// the exam's own progress lines; at the end the scorecard (every check with its status in words,
// its figure and why) and the self-contained HTML report.

const stateWords: Record<ExamState, string> = {
  idle: 'Not run yet',
  running: 'Running',
  stopping: 'Stopping: restoring the lab',
  done: 'Done',
  stopped: 'Stopped',
  failed: 'Could not run',
}

const eventWords: Record<ExamEventStatus, string> = {
  pending: 'to come',
  running: 'under way',
  done: 'done',
  skipped: 'skipped',
}

const statusWords: Record<ExamCheckStatus, string> = { pass: 'PASS', warn: 'WARN', fail: 'FAIL' }

const timeBounds = [
  { sec: 600, label: '10 minutes' },
  { sec: 1800, label: '30 minutes' },
  { sec: 3600, label: '1 hour' },
  { sec: 7200, label: '2 hours' },
] as const

export function ExamView() {
  const exam = useApp((s) => s.exam)
  const target = useApp((s) => s.examTarget)
  const own = useApp((s) => s.snapshot?.deviceId ?? null)
  useEffect(() => {
    // The snapshot as it is now; exam:changed keeps it current.
    void actions.watchExam()
  }, [])
  const active = examActive(exam?.state)
  // The exam under way, else the device chosen in the lab panel, else the last one examined.
  const deviceId = active ? (exam?.deviceId ?? null) : (target ?? exam?.deviceId ?? own)
  const shown = exam && exam.state !== 'idle' ? exam : null
  return (
    <div className="exam-view" data-testid="exam-view">
      <ExamControls exam={exam} deviceId={deviceId} />
      {shown && <Checklist exam={shown} />}
      {shown?.checks && <Scorecard exam={shown} />}
    </div>
  )
}

function ExamControls({ exam, deviceId }: { exam: ExamSnapshot | null; deviceId: string | null }) {
  const busy = useApp((s) => !!s.pending['exam'])
  const stopping = useApp((s) => !!s.pending['exam:stop'])
  const lab = useApp((s) => s.info?.lab ?? null)
  const target = useApp((s) => s.examTarget)
  const [chosen, setChosen] = useState<ReadonlySet<ExamEventId>>(() => new Set(examEventIds))
  const [bound, setBound] = useState<number>(examViewLimits.defaultTimeBoundSec)
  const [error, setError] = useState<string | null>(null)
  const eventsHint = useId()
  const boundId = useId()
  const active = examActive(exam?.state)
  const available = exam?.available ?? false
  const events = examEventIds.filter((e) => chosen.has(e))
  const toggle = (e: ExamEventId, on: boolean) => {
    setChosen((c) => {
      const next = new Set(c)
      if (on) next.add(e)
      else next.delete(e)
      return next
    })
    setError(null)
  }

  const submit = async (e: FormEvent) => {
    e.preventDefault()
    if (!deviceId) return
    const parsed = examStartSchema.safeParse({
      deviceId,
      ...(events.length === examEventIds.length ? {} : { events }),
      timeBoundSec: bound,
    })
    if (!parsed.success) return setError(parsed.error.issues[0]?.message ?? 'not a request')
    const err = await actions.startExam(parsed.data)
    setError(err ? err.message : null)
  }

  const cli =
    deviceId && lab
      ? `${lab.lizard} exam ${deviceId}${events.length && events.length < examEventIds.length ? ` --only ${events.join(',')}` : ''}${bound === examViewLimits.defaultTimeBoundSec ? '' : ` --timeout ${bound / 60}m`}${lab.controlUrl ? ` --url ${lab.controlUrl}` : ''}`
      : null

  return (
    <section className="card exam-controls" aria-labelledby="exam-title">
      <div className="card-head">
        <h2 id="exam-title">Exam</h2>
        <ExamStatusLine exam={exam} />
      </div>
      <p className="exam-question">
        {deviceId ? (
          <>
            Is{' '}
            <span className="mono" data-testid="exam-device">
              {deviceId}
            </span>{' '}
            ready for the lizard?
          </>
        ) : (
          'Choose a device to examine in the lab panel (Examine).'
        )}
      </p>
      <p className="muted small" data-testid="exam-note">
        The exam runs the seed’s disasters against the device, one after another: it fails it over
        and back, kills, silences and restarts its hub and throttles DPS — every device on the lab
        feels them. After each move it calls a direct method, sends a C2D command and patches a
        desired property on the new hub, and it judges only what the lab saw on the wire. It takes
        minutes (each event waits up to 2 minutes for the device to come back) and the device must
        be connected to the lab. Every hub and DPS are restored at the end, and on Stop.
      </p>
      {exam && !available && (
        <p className="banner banner-warn" data-testid="exam-unavailable">
          {exam.unavailableReason}
        </p>
      )}
      {active && exam?.deviceId && target && target !== exam.deviceId && (
        <p className="banner banner-warn" data-testid="exam-busy">
          An exam of {exam.deviceId} is under way: one at a time — stop it to examine {target}.
        </p>
      )}
      <form className="exam-form" onSubmit={(e) => void submit(e)} noValidate>
        <fieldset className="exam-events" aria-describedby={eventsHint} disabled={active}>
          <legend>Events</legend>
          <ul>
            {examEventIds.map((id) => (
              <li key={id}>
                <label>
                  <input
                    type="checkbox"
                    data-testid={`exam-event-${id}`}
                    checked={chosen.has(id)}
                    onChange={(e) => toggle(id, e.target.checked)}
                  />{' '}
                  <strong>{examEventInfo[id].title}</strong>{' '}
                  <span className="muted small">— {examEventInfo[id].what}</span>
                </label>
              </li>
            ))}
          </ul>
          <p id={eventsHint} className="muted small">
            {events.length === examEventIds.length
              ? 'All six, in this order.'
              : `${events.length} of ${examEventIds.length}, in this order.`}{' '}
            <button
              type="button"
              className="link"
              onClick={() => setChosen(new Set(examEventIds))}
              disabled={active}
            >
              All
            </button>
            <button
              type="button"
              className="link"
              onClick={() => setChosen(new Set())}
              disabled={active}
            >
              None
            </button>
          </p>
        </fieldset>
        <div className="exam-buttons">
          <label htmlFor={boundId} className="small">
            At most
          </label>
          <select
            id={boundId}
            value={bound}
            disabled={active}
            onChange={(e) => setBound(Number(e.target.value))}
          >
            {timeBounds.map((b) => (
              <option key={b.sec} value={b.sec}>
                {b.label}
              </option>
            ))}
          </select>
          <button
            type="submit"
            className="primary"
            data-testid="exam-start"
            disabled={!deviceId || !available || active || busy || events.length === 0}
          >
            Start the exam
          </button>
          <button
            type="button"
            className="danger"
            data-testid="exam-stop"
            disabled={exam?.state !== 'running' || stopping}
            onClick={() => void actions.stopExam()}
            title="Stops the exam: every hub and DPS are restored; the checks cover what ran"
          >
            Stop
          </button>
        </div>
      </form>
      {events.length === 0 && !active && (
        <p className="field-msg" data-testid="exam-none-chosen">
          Choose at least one event.
        </p>
      )}
      {error && (
        <p className="banner banner-bad" role="alert" data-testid="exam-error">
          {error}
        </p>
      )}
      {exam?.reason && !active && (
        <p
          className={exam.state === 'failed' ? 'banner banner-bad' : 'banner banner-warn'}
          data-testid="exam-reason"
        >
          {exam.reason}
        </p>
      )}
      {cli && (
        <p className="muted small exam-cli">
          In a terminal: <code data-testid="exam-cli">{cli}</code>
        </p>
      )}
    </section>
  )
}

function ExamStatusLine({ exam }: { exam: ExamSnapshot | null }) {
  const now = useNow(1000)
  if (!exam) return null
  const started = exam.startedAt
  const took = started === null ? '' : duration(Math.max(0, (exam.endedAt ?? now) - started))
  return (
    <span
      className="muted small"
      data-testid="exam-status"
      data-state={exam.state}
      aria-live="polite"
    >
      <strong className="exam-status-word">{stateWords[exam.state]}</strong>
      {exam.deviceId && exam.state !== 'idle' && (
        <>
          {' · '}
          <span className="mono">{exam.deviceId}</span>
        </>
      )}
      {started !== null && ` · since ${clock(started, false)}`}
      {took && ` · ${took}`}
    </span>
  )
}

function Checklist({ exam }: { exam: ExamSnapshot }) {
  const log = useRef<HTMLDivElement>(null)
  const last = exam.lines[exam.lines.length - 1]?.at ?? 0
  useEffect(() => {
    // The newest line in view, as a terminal shows it.
    const el = log.current
    if (el) el.scrollTop = el.scrollHeight
  }, [last, exam.lines.length])
  return (
    <section className="card exam-checklist" aria-labelledby="exam-checklist-title">
      <div className="card-head">
        <h2 id="exam-checklist-title">Checklist</h2>
        <span className="mono small">{exam.deviceId}</span>
        <span className="muted small">
          {exam.events.filter((e) => e.status === 'done').length} of {exam.events.length} events
          done
        </span>
      </div>
      <ol className="exam-event-list">
        {exam.events.map((e) => (
          <li
            key={e.id}
            className={`exam-event exam-event-${e.status}`}
            data-testid="exam-event"
            data-id={e.id}
            data-status={e.status}
          >
            <div className="exam-event-head">
              <span className={`exam-badge exam-badge-${e.status}`}>{eventWords[e.status]}</span>
              <strong>{e.title}</strong>
              <span className="mono muted small">{e.id}</span>
              {e.score && (
                <span className="small" data-testid="exam-event-score">
                  {e.score.pass} passed · {e.score.warn} warning{e.score.warn === 1 ? '' : 's'} ·{' '}
                  {e.score.fail} failed
                </span>
              )}
            </div>
            {e.figures.length > 0 && (
              <ul className="exam-figures">
                {e.figures.map((f) => (
                  <li
                    key={f.label}
                    className={f.ok === false ? 'exam-figure exam-figure-bad' : 'exam-figure'}
                    data-testid="exam-figure"
                  >
                    <span className="exam-figure-label">{f.label}</span> {f.value}
                    {f.ok === false && <span className="offscreen"> (a problem)</span>}
                  </li>
                ))}
              </ul>
            )}
            {e.note && <p className="muted small exam-event-note">{e.note}</p>}
          </li>
        ))}
      </ol>
      <h3 className="exam-lines-title">Progress</h3>
      <div
        ref={log}
        className="exam-lines"
        role="log"
        aria-label="Exam progress"
        tabIndex={0}
        data-testid="exam-lines"
      >
        {exam.linesDropped > 0 && (
          <p className="muted small">{exam.linesDropped} earlier lines not kept</p>
        )}
        {exam.lines.map((l, i) => (
          <p key={`${l.at}-${i}`} className="exam-line" data-testid="exam-line">
            <span className="muted">{clock(l.at, false)}</span> {l.text}
          </p>
        ))}
      </div>
    </section>
  )
}

function Scorecard({ exam }: { exam: ExamSnapshot }) {
  const checks = exam.checks ?? []
  const counts = exam.counts
  const download = async () => {
    const html = await actions.examReport()
    if (html)
      downloadText(html, `exam-${exam.deviceId ?? 'device'}-${fileStamp()}.html`, 'text/html')
  }
  return (
    <section className="card exam-scorecard" aria-labelledby="exam-scorecard-title">
      <div className="card-head">
        <h2 id="exam-scorecard-title">Scorecard</h2>
        <span className="mono small">{exam.deviceId}</span>
        {exam.verdict && counts && (
          <span className="small" data-testid="exam-verdict" data-verdict={exam.verdict}>
            <span className={`exam-badge exam-badge-${exam.verdict}`}>
              {statusWords[exam.verdict]}
            </span>{' '}
            {counts.pass} passed, {counts.warn} warning{counts.warn === 1 ? '' : 's'}, {counts.fail}{' '}
            failed
          </span>
        )}
        <span className="spacer" />
        <button
          type="button"
          data-testid="exam-report"
          disabled={!exam.report}
          onClick={() => void download()}
          title="One self-contained HTML page: every check, its figure and why, and the thresholds"
        >
          Download report (HTML)
        </button>
      </div>
      <table className="exam-table">
        <caption className="offscreen">Every check of the exam</caption>
        <thead>
          <tr>
            <th scope="col">Result</th>
            <th scope="col">Check</th>
            <th scope="col">Figure</th>
            <th scope="col">Why</th>
          </tr>
        </thead>
        <tbody>
          {checks.map((c) => (
            <tr key={c.id} data-testid="exam-check" data-id={c.id} data-status={c.status}>
              <td>
                <span className={`exam-badge exam-badge-${c.status}`}>{statusWords[c.status]}</span>
              </td>
              <th scope="row" className="mono">
                {c.id}
              </th>
              <td>{c.figure}</td>
              <td>{c.why}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </section>
  )
}
