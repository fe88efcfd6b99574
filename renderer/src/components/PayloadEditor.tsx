import { useId } from 'react'
import type { Schema } from '../../../shared/dtdl/types'
import { describeSchema } from '../../../shared/dtdl/values'
import { controlFor, draftFor, type Draft } from '../payload-form'

interface Props {
  schema: Schema
  label: string
  draft: Draft
  onChange: (d: Draft) => void
  /** Where this part sits in the value (`since`, `range.min`): its test id and error target. */
  path: string
  /** The part a problem is about, if any: that field is marked invalid. */
  invalid: string | null
  /** The problem's element, for the invalid field to point at. */
  problemId: string
}

const within = (invalid: string | null, path: string) =>
  invalid !== null &&
  (invalid === path || invalid.startsWith(`${path}.`) || invalid.startsWith(`${path}[`))

/**
 * The control for a value of a schema: a number, text, date or time field, a checkbox, a select
 * for an enum, a fieldset per object, and a JSON text box for anything else (maps, arrays…).
 */
export function PayloadEditor({ schema, label, draft, onChange, path, invalid, problemId }: Props) {
  const id = useId()
  const control = controlFor(schema)
  const bad = within(invalid, path)
  const common = {
    id,
    'data-testid': `lab-input-${path}`,
    'aria-invalid': bad ? true : undefined,
    'aria-describedby': bad ? problemId : undefined,
  }
  const text = typeof draft === 'string' ? draft : ''
  const caption = (
    <label htmlFor={id} className="lab-field-label">
      {label}
    </label>
  )

  switch (control.kind) {
    case 'object': {
      const fields = schema.kind === 'object' ? schema.fields : []
      const parts = typeof draft === 'object' ? draft : {}
      return (
        <fieldset className="lab-object" data-testid={`lab-input-${path}`}>
          <legend>{label}</legend>
          {fields.map((f) => (
            <PayloadEditor
              key={f.name}
              schema={f.schema}
              label={f.displayName}
              draft={parts[f.name] ?? draftFor(f.schema, undefined)}
              onChange={(v) => onChange({ ...parts, [f.name]: v })}
              path={`${path}.${f.name}`}
              invalid={invalid}
              problemId={problemId}
            />
          ))}
        </fieldset>
      )
    }
    case 'checkbox':
      return (
        <div className="lab-field lab-field-check">
          <input
            {...common}
            type="checkbox"
            checked={draft === true}
            onChange={(e) => onChange(e.target.checked)}
          />
          {caption}
        </div>
      )
    case 'select': {
      const values = schema.kind === 'enum' ? schema.values : []
      return (
        <div className="lab-field">
          {caption}
          <select {...common} value={text} onChange={(e) => onChange(e.target.value)}>
            {values.map((v, i) => (
              <option key={v.name} value={String(i)}>
                {v.displayName}
              </option>
            ))}
          </select>
        </div>
      )
    }
    case 'json':
      return (
        <div className="lab-field">
          {caption}
          <textarea
            {...common}
            rows={2}
            spellCheck={false}
            title={`JSON: ${describeSchema(schema)}`}
            value={text}
            onChange={(e) => onChange(e.target.value)}
          />
        </div>
      )
    default: {
      const type = {
        number: 'number',
        text: 'text',
        date: 'date',
        time: 'time',
        datetime: 'datetime-local',
      }[control.kind]
      return (
        <div className="lab-field">
          {caption}
          <input
            {...common}
            type={type}
            step={control.kind === 'number' ? control.step : type === 'text' ? undefined : 1}
            title={describeSchema(schema)}
            value={text}
            onChange={(e) => onChange(e.target.value)}
          />
        </div>
      )
    }
  }
}
