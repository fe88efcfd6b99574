import { useId, useState } from 'react'
import { behaviourNames, type BehaviourName } from '../../../shared/domain'
import { actions, useApp } from '../store'

const labels: Record<BehaviourName, { title: string; hint: string }> = {
  telemetry: { title: 'Telemetry', hint: 'temp and humidity on a period' },
  reportedProperties: { title: 'Reported properties', hint: 'battery on a period' },
  desiredProperties: { title: 'Desired properties', hint: 'apply and acknowledge edits' },
  directMethods: { title: 'Direct methods', hint: 'answer commands (echo)' },
  c2dCommands: { title: 'C2D commands', hint: 'setAlarm; off: kept at the hub' },
}

export function Behaviours() {
  const snapshot = useApp((s) => s.snapshot)
  const pending = useApp((s) => s.pending)
  const behaviours = snapshot?.behaviours
  const periods = snapshot?.periods

  return (
    <section className="card behaviours" aria-label="Behaviours">
      <h2>Behaviours</h2>
      {behaviourNames.map((name) => (
        <div key={name} className="behaviour">
          <label className="switch">
            <input
              type="checkbox"
              role="switch"
              data-testid={`behaviour-${name}`}
              checked={behaviours?.[name] ?? false}
              disabled={!behaviours}
              aria-busy={pending[`behaviour:${name}`] ? true : undefined}
              onChange={(e) => void actions.setBehaviour(name, e.target.checked)}
            />
            <span className="track" aria-hidden="true" />
            <span className="switch-text">
              <span>{labels[name].title}</span>
              <span className="hint">{labels[name].hint}</span>
            </span>
          </label>
          {name === 'telemetry' && periods && (
            <PeriodInput
              key={`t${periods.telemetryMs}`}
              testId="period-telemetry"
              label="Telemetry period in seconds"
              ms={periods.telemetryMs}
              onCommit={(ms) => void actions.setPeriods({ telemetryMs: ms })}
            />
          )}
          {name === 'reportedProperties' && periods && (
            <PeriodInput
              key={`r${periods.reportedMs}`}
              testId="period-reported"
              label="Reported properties period in seconds"
              ms={periods.reportedMs}
              onCommit={(ms) => void actions.setPeriods({ reportedMs: ms })}
            />
          )}
        </div>
      ))}
    </section>
  )
}

/**
 * Seconds in the field, milliseconds on the wire; applied on Enter or when leaving the field.
 * An out-of-range value says so under the field (Enter leaves it there to correct); leaving the
 * field puts the period in force back.
 */
function PeriodInput({
  ms,
  onCommit,
  testId,
  label,
}: {
  ms: number
  onCommit: (ms: number) => void
  testId: string
  label: string
}) {
  const [text, setText] = useState(String(ms / 1000))
  const messageId = useId()
  const seconds = Number(text)
  const valid = text.trim() !== '' && Number.isFinite(seconds) && seconds >= 0.1 && seconds <= 3600
  const commit = (restoreIfInvalid: boolean) => {
    if (!valid) {
      if (restoreIfInvalid) setText(String(ms / 1000))
      return
    }
    const next = Math.round(seconds * 1000)
    if (next !== ms) onCommit(next)
  }
  return (
    <div className={valid ? 'period' : 'period invalid'}>
      <label>
        every{' '}
        <input
          type="number"
          min={0.1}
          max={3600}
          step="any"
          inputMode="decimal"
          aria-label={label}
          aria-invalid={!valid}
          aria-describedby={valid ? undefined : messageId}
          data-testid={testId}
          value={text}
          onChange={(e) => setText(e.target.value)}
          onBlur={() => commit(true)}
          onKeyDown={(e) => {
            if (e.key === 'Enter') commit(false)
            if (e.key === 'Escape') setText(String(ms / 1000))
          }}
        />{' '}
        s
      </label>
      {!valid && (
        <span id={messageId} className="period-msg" data-testid={`${testId}-error`}>
          0.1 to 3600 seconds (now {ms / 1000} s)
        </span>
      )}
    </div>
  )
}
