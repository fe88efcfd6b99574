import { useId, useState } from 'react'
import { behaviourNames, type BehaviourName } from '../../../shared/domain'
import type { DeviceModel } from '../../../shared/dtdl/types'
import { actions, useApp, useDevice, useReadOnly } from '../store'

const titles: Record<BehaviourName, string> = {
  telemetry: 'Telemetry',
  reportedProperties: 'Reported properties',
  desiredProperties: 'Desired properties',
  directMethods: 'Direct methods',
  c2dCommands: 'C2D commands',
}

/** A few of the model's names, and how many more: "Temperature, Humidity +3". */
function some(names: string[], none: string): string {
  if (names.length === 0) return none
  const shown = names.slice(0, 2).join(', ')
  return names.length > 2 ? `${shown} +${names.length - 2}` : shown
}

/** What each switch covers in the model the device is now. */
function hintFor(name: BehaviourName, model: DeviceModel | null): string {
  const m = model
  switch (name) {
    case 'telemetry':
      return `${some(m?.telemetry.map((t) => t.displayName) ?? [], 'no telemetry')} on a period`
    case 'reportedProperties': {
      const own = m?.properties.filter((p) => !p.writable).map((p) => p.displayName) ?? []
      return `${some(own, 'no read-only properties')} on a period`
    }
    case 'desiredProperties':
      return 'apply and acknowledge edits'
    case 'directMethods': {
      const sync = m?.commands.filter((c) => !c.durable).map((c) => c.displayName) ?? []
      return `answer commands (${some(sync, 'none in the model')})`
    }
    case 'c2dCommands': {
      const durable = m?.commands.filter((c) => c.durable).map((c) => c.displayName) ?? []
      return `${some(durable, 'no durable commands')}; off: kept at the hub`
    }
  }
}

export function Behaviours() {
  const snapshot = useDevice((d) => d.snapshot)
  const readOnly = useReadOnly()
  const pending = useApp((s) => s.pending)
  const behaviours = snapshot?.behaviours
  const periods = snapshot?.periods
  const model = useApp((s) => s.info?.model ?? null)

  return (
    <section className="card behaviours" aria-label="Behaviours">
      <h2>Behaviours</h2>
      {readOnly && (
        <p className="muted small" data-testid="behaviours-read-only">
          A fleet device&apos;s switches, as they are: read-only here.
        </p>
      )}
      {behaviourNames.map((name) => (
        <div key={name} className="behaviour">
          <label className="switch">
            <input
              type="checkbox"
              role="switch"
              data-testid={`behaviour-${name}`}
              checked={behaviours?.[name] ?? false}
              disabled={!behaviours || readOnly}
              aria-busy={pending[`behaviour:${name}`] ? true : undefined}
              onChange={(e) => void actions.setBehaviour(name, e.target.checked)}
            />
            <span className="track" aria-hidden="true" />
            <span className="switch-text">
              <span>{titles[name]}</span>
              <span className="hint">{hintFor(name, model)}</span>
            </span>
          </label>
          {name === 'telemetry' && periods && (
            <PeriodInput
              key={`t${periods.telemetryMs}`}
              disabled={readOnly}
              testId="period-telemetry"
              label="Telemetry period in seconds"
              ms={periods.telemetryMs}
              onCommit={(ms) => void actions.setPeriods({ telemetryMs: ms })}
            />
          )}
          {name === 'reportedProperties' && periods && (
            <PeriodInput
              key={`r${periods.reportedMs}`}
              disabled={readOnly}
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
  disabled = false,
}: {
  ms: number
  onCommit: (ms: number) => void
  testId: string
  label: string
  disabled?: boolean
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
          disabled={disabled}
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
