import { useId, useState, type FormEvent } from 'react'
import {
  commandWireName,
  elementKey,
  type CommandDef,
  type DeviceModel,
  type PropertyDef,
} from '../../../shared/dtdl/types'
import { checkValue, describeSchema, exampleValue } from '../../../shared/dtdl/values'
import type { LabAction } from '../../../shared/lab-actions'
import { json } from '../format'
import { byComponent } from '../model-view'
import { draftFor, readDraft, type Draft } from '../payload-form'
import { actions, useApp } from '../store'
import { PayloadEditor } from './PayloadEditor'

/** What each form needs from the panel: the lizard line for an action, and how to run it. */
export interface LabHooks {
  command: (a: LabAction) => string
  disabled: boolean
  onShow: (a: LabAction) => void
  onAct: (a: LabAction) => void
}

/** Up to this many commands and writable properties, every form is open at once. */
const openAllUpTo = 4

/**
 * The model's commands and writable properties as forms, by component: each builds its payload
 * from the schema, checks it before sending, and names the lizard command that does the same.
 */
export function ModelControls({ model, hooks }: { model: DeviceModel; hooks: LabHooks }) {
  const writable = model.properties.filter((p) => p.writable)
  const groups = byComponent<CommandDef | PropertyDef>([...model.commands, ...writable], model)
  const open = model.commands.length + writable.length <= openAllUpTo
  if (groups.length === 0)
    return <p className="muted small">This model has no commands or writable properties.</p>
  return (
    <>
      {groups.map((g) => (
        <div
          key={g.component ?? ''}
          className="lab-group"
          data-testid="lab-group"
          data-component={g.component ?? ''}
        >
          {groups.length > 1 && <h3 className="lab-group-head">{g.label}</h3>}
          {g.items.map((item) =>
            'writable' in item ? (
              <PropertyForm key={`p:${item.name}`} p={item} hooks={hooks} open={open} />
            ) : (
              <CommandForm key={`c:${item.name}`} c={item} hooks={hooks} open={open} />
            ),
          )}
        </div>
      ))}
    </>
  )
}

type Problem = { path: string; text: string } | null
/** A form's content as an action to send, or the reason it cannot be sent yet. */
type Built =
  { action: LabAction; problem?: never } | { action?: never; problem: NonNullable<Problem> }

function CommandForm({ c, hooks, open }: { c: CommandDef; hooks: LabHooks; open: boolean }) {
  const wire = commandWireName(c)
  const problemId = useId()
  const [draft, setDraft] = useState<Draft>(() =>
    c.request ? draftFor(c.request.schema, exampleValue(c.request.schema)) : '',
  )
  const [problem, setProblem] = useState<Problem>(null)
  const build = (): Built => {
    let payload: unknown = null
    if (c.request) {
      const r = readDraft(draft, c.request.schema, c.request.name)
      if (!r.ok) return { problem: { path: r.path, text: r.problem } }
      payload = r.value
    }
    // IoT Central sends a command's request bare (not wrapped in its name): so does the panel.
    return {
      action: c.durable
        ? { action: 'command', name: wire, payload }
        : { action: 'invoke', method: wire, payload },
    }
  }
  const built = build()
  const submit = (e: FormEvent) => {
    e.preventDefault()
    if (built.problem) return setProblem(built.problem)
    setProblem(null)
    hooks.onAct(built.action)
  }
  return (
    <details className="lab-entry" open={open} data-testid={`lab-entry-${wire}`}>
      <summary>
        {c.displayName}
        {c.durable && <span className="chip chip-c2d small">C2D</span>}
      </summary>
      <form
        className="lab-form"
        data-testid={`lab-form-${wire}`}
        aria-label={`${c.durable ? 'Send' : 'Invoke'} ${c.displayName}`}
        noValidate
        onSubmit={submit}
      >
        {c.request ? (
          <PayloadEditor
            schema={c.request.schema}
            label={c.request.displayName}
            draft={draft}
            onChange={(d) => {
              setDraft(d)
              setProblem(null)
            }}
            path={c.request.name}
            invalid={problem?.path ?? null}
            problemId={problemId}
          />
        ) : (
          <p className="muted small">No request payload.</p>
        )}
        <ActButton
          testId={`lab-invoke-${wire}`}
          built={built}
          hooks={hooks}
          label={c.durable ? 'Send' : 'Invoke'}
        />
        {problem && (
          <p id={problemId} className="lab-problem" role="alert" data-testid="lab-problem">
            {problem.text}
          </p>
        )}
      </form>
      {!c.durable && <ResponseForm c={c} wire={wire} />}
    </details>
  )
}

function PropertyForm({ p, hooks, open }: { p: PropertyDef; hooks: LabHooks; open: boolean }) {
  const key = elementKey(p)
  const problemId = useId()
  const [draft, setDraft] = useState<Draft>(() => draftFor(p.schema, exampleValue(p.schema)))
  const [problem, setProblem] = useState<Problem>(null)
  const read = readDraft(draft, p.schema, p.name)
  // A component's property travels inside its component, marked as one (IoT Central's `__t`).
  const built: Built = read.ok
    ? {
        action: {
          action: 'desired',
          patch: p.component
            ? { [p.component]: { __t: 'c', [p.name]: read.value } }
            : { [p.name]: read.value },
        } as LabAction,
      }
    : { problem: { path: read.path, text: read.problem } }
  const submit = (e: FormEvent) => {
    e.preventDefault()
    if (built.problem) return setProblem(built.problem)
    setProblem(null)
    hooks.onAct(built.action)
  }
  return (
    <details className="lab-entry" open={open} data-testid={`lab-entry-desired-${key}`}>
      <summary>
        {p.displayName}
        <span className="chip chip-desired small">desired</span>
      </summary>
      <form
        className="lab-form"
        data-testid={`lab-desired-form-${key}`}
        aria-label={`Set ${p.displayName}`}
        noValidate
        onSubmit={submit}
      >
        <PayloadEditor
          schema={p.schema}
          label={p.displayName}
          draft={draft}
          onChange={(d) => {
            setDraft(d)
            setProblem(null)
          }}
          path={p.name}
          invalid={problem?.path ?? null}
          problemId={problemId}
        />
        <ActButton testId={`lab-desired-send-${key}`} built={built} hooks={hooks} label="Set" />
        {problem && (
          <p id={problemId} className="lab-problem" role="alert" data-testid="lab-problem">
            {problem.text}
          </p>
        )}
      </form>
    </details>
  )
}

/** The form's send button; pointing at it shows the lizard command for what the form holds. */
function ActButton({
  testId,
  built,
  hooks,
  label,
}: {
  testId: string
  built: Built
  hooks: LabHooks
  label: string
}) {
  const action = built.action ?? null
  const command = built.action ? hooks.command(built.action) : built.problem.text
  const show = () => action && hooks.onShow(action)
  return (
    <button
      type="submit"
      data-testid={testId}
      disabled={hooks.disabled}
      title={command}
      data-command={action ? command : undefined}
      onMouseEnter={show}
      onFocus={show}
    >
      {label}
    </button>
  )
}

/** A fixed answer for a synchronous command instead of the generated one, and back. */
function ResponseForm({ c, wire }: { c: CommandDef; wire: string }) {
  const id = useId()
  const current = useApp((s) => s.snapshot?.commandResponses?.[wire])
  const fixed = current !== undefined && current !== null
  const [text, setText] = useState(() =>
    JSON.stringify(fixed ? current : c.response ? exampleValue(c.response.schema) : null),
  )
  const [problem, setProblem] = useState<string | null>(null)
  const [busy, setBusy] = useState(false)
  const send = async (response: unknown) => {
    setBusy(true)
    const err = await actions.setCommandResponse(wire, response)
    setBusy(false)
    setProblem(err ? err.message : null)
  }
  const set = () => {
    let value: unknown
    try {
      value = JSON.parse(text)
    } catch (err) {
      return setProblem(`not JSON (${err instanceof Error ? err.message : 'unreadable'})`)
    }
    const wrong = c.response ? checkValue(value, c.response.schema) : null
    if (wrong) return setProblem(`${c.response!.name}: ${wrong}`)
    void send(value)
  }
  return (
    <div className="lab-response" data-testid={`lab-response-form-${wire}`}>
      <label htmlFor={id} className="lab-field-label">
        Response{c.response ? ` (${describeSchema(c.response.schema)})` : ''}
      </label>
      <textarea
        id={id}
        rows={1}
        spellCheck={false}
        data-testid={`lab-response-${wire}`}
        aria-invalid={problem ? true : undefined}
        aria-describedby={problem ? `${id}-problem` : undefined}
        value={text}
        onChange={(e) => {
          setText(e.target.value)
          setProblem(null)
        }}
      />
      <div className="lab-row">
        <button
          type="button"
          data-testid={`lab-response-set-${wire}`}
          disabled={busy}
          onClick={set}
        >
          Set response
        </button>
        <button
          type="button"
          data-testid={`lab-response-clear-${wire}`}
          disabled={busy || !fixed}
          onClick={() => void send(null)}
        >
          Clear
        </button>
        <span className="muted small" data-testid={`lab-response-state-${wire}`}>
          {fixed ? `answers ${json(current, 40)}` : 'answers a generated value'}
        </span>
      </div>
      {problem && (
        <p id={`${id}-problem`} className="lab-problem" role="alert">
          {problem}
        </p>
      )}
    </div>
  )
}
