import { useState } from 'react'
import { behaviourNames, type BehaviourName } from '../../../shared/domain'
import { actions, useApp } from '../store'

const labels: Record<BehaviourName, { title: string; hint: string }> = {
  telemetry: { title: 'Telemetry', hint: 'temp and humidity on a period' },
  reportedProperties: { title: 'Reported properties', hint: 'battery on a period' },
  desiredProperties: { title: 'Desired properties', hint: 'apply and acknowledge edits' },
  directMethods: { title: 'Direct methods', hint: 'answer commands (echo)' },
  c2dCommands: { title: 'C2D commands', hint: 'durable commands (setAlarm)' },
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
              disabled={!behaviours || pending[`behaviour:${name}`]}
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
              ms={periods.telemetryMs}
              onCommit={(ms) => void actions.setPeriods({ telemetryMs: ms })}
            />
          )}
          {name === 'reportedProperties' && periods && (
            <PeriodInput
              key={`r${periods.reportedMs}`}
              testId="period-reported"
              ms={periods.reportedMs}
              onCommit={(ms) => void actions.setPeriods({ reportedMs: ms })}
            />
          )}
        </div>
      ))}
    </section>
  )
}

/** Seconds in the field, milliseconds on the wire; applied on Enter or when leaving the field. */
function PeriodInput({
  ms,
  onCommit,
  testId,
}: {
  ms: number
  onCommit: (ms: number) => void
  testId: string
}) {
  const [text, setText] = useState(String(ms / 1000))
  const seconds = Number(text)
  const valid = text.trim() !== '' && Number.isFinite(seconds) && seconds >= 0.1 && seconds <= 3600
  const commit = () => {
    if (!valid) return setText(String(ms / 1000))
    const next = Math.round(seconds * 1000)
    if (next !== ms) onCommit(next)
  }
  return (
    <label className={valid ? 'period' : 'period invalid'}>
      every
      <input
        type="number"
        min={0.1}
        max={3600}
        step="any"
        inputMode="decimal"
        data-testid={testId}
        value={text}
        onChange={(e) => setText(e.target.value)}
        onBlur={commit}
        onKeyDown={(e) => {
          if (e.key === 'Enter') commit()
        }}
      />
      s
    </label>
  )
}
