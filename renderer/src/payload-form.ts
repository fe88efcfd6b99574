import type { Schema } from '../../shared/dtdl/types'
import { checkValue } from '../../shared/dtdl/values'

// A form for a value of any schema, as data: what control each part gets, what the user typed
// (a draft), and the JSON value it makes, checked against the schema before anything is sent.

/** A checkbox's state, a field's text, or an object's fields. */
export type Draft = string | boolean | { [field: string]: Draft }

export type Control =
  | { kind: 'number'; step: 'any' | '1' }
  | { kind: 'text' }
  | { kind: 'checkbox' }
  | { kind: 'date' }
  | { kind: 'time' }
  | { kind: 'datetime' }
  | { kind: 'select' }
  | { kind: 'object' }
  | { kind: 'json' }

const integerKinds = new Set<Schema['kind']>([
  'integer',
  'long',
  'byte',
  'short',
  'unsignedByte',
  'unsignedShort',
  'unsignedInteger',
  'unsignedLong',
])

/** The control a schema is edited with; a map, an array or a geometry is typed as JSON. */
export function controlFor(s: Schema): Control {
  if (integerKinds.has(s.kind)) return { kind: 'number', step: '1' }
  switch (s.kind) {
    case 'double':
    case 'float':
    case 'decimal':
      return { kind: 'number', step: 'any' }
    case 'string':
    case 'duration':
    case 'uuid':
    case 'bytes':
      return { kind: 'text' }
    case 'boolean':
      return { kind: 'checkbox' }
    case 'date':
      return { kind: 'date' }
    case 'time':
      return { kind: 'time' }
    case 'dateTime':
      return { kind: 'datetime' }
    case 'enum':
      return { kind: 'select' }
    case 'object':
      return { kind: 'object' }
    default:
      return { kind: 'json' }
  }
}

const pad = (n: number) => String(n).padStart(2, '0')

/** An ISO date-time as a datetime-local field shows it (local time, to the second). */
function localInput(iso: unknown): string {
  const d = typeof iso === 'string' ? new Date(iso) : new Date()
  if (Number.isNaN(d.getTime())) return ''
  return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())}T${pad(d.getHours())}:${pad(d.getMinutes())}:${pad(d.getSeconds())}`
}

const isObject = (v: unknown): v is Record<string, unknown> =>
  typeof v === 'object' && v !== null && !Array.isArray(v)

/** The form's starting state for a value (an example value, or the value it has now). */
export function draftFor(s: Schema, value: unknown): Draft {
  switch (controlFor(s).kind) {
    case 'checkbox':
      return value === true
    case 'datetime':
      return localInput(value)
    case 'select': {
      const values = s.kind === 'enum' ? s.values : []
      return String(
        Math.max(
          0,
          values.findIndex((e) => e.value === value),
        ),
      )
    }
    case 'object': {
      const fields = s.kind === 'object' ? s.fields : []
      const v = isObject(value) ? value : {}
      return Object.fromEntries(fields.map((f) => [f.name, draftFor(f.schema, v[f.name])]))
    }
    case 'json':
      return JSON.stringify(value ?? null)
    default:
      return value === undefined || value === null ? '' : String(value)
  }
}

export type Read =
  | { ok: true; value: unknown }
  /** `path` names the part at fault (`since`, `range.min`), for the field to say so. */
  | { ok: false; path: string; problem: string }

const join = (path: string, name: string) => (path ? `${path}.${name}` : name)

function readPart(d: Draft, s: Schema, path: string): Read {
  const control = controlFor(s)
  const text = typeof d === 'string' ? d : ''
  switch (control.kind) {
    case 'checkbox':
      return { ok: true, value: d === true }
    case 'number': {
      if (text.trim() === '') return { ok: false, path, problem: 'enter a number' }
      const n = Number(text)
      if (!Number.isFinite(n)) return { ok: false, path, problem: `"${text}" is not a number` }
      return { ok: true, value: n }
    }
    case 'datetime': {
      const t = new Date(text)
      if (text === '' || Number.isNaN(t.getTime()))
        return { ok: false, path, problem: 'enter a date and time' }
      return { ok: true, value: t.toISOString() }
    }
    case 'select': {
      const e = s.kind === 'enum' ? s.values[Number(text)] : undefined
      return e ? { ok: true, value: e.value } : { ok: false, path, problem: 'pick a value' }
    }
    case 'object': {
      const fields = s.kind === 'object' ? s.fields : []
      const parts = isObject(d) ? d : {}
      const value: Record<string, unknown> = {}
      for (const f of fields) {
        const r = readPart(
          parts[f.name] ?? draftFor(f.schema, undefined),
          f.schema,
          join(path, f.name),
        )
        if (!r.ok) return r
        value[f.name] = r.value
      }
      return { ok: true, value }
    }
    case 'json':
      try {
        return { ok: true, value: JSON.parse(text) as unknown }
      } catch (err) {
        return {
          ok: false,
          path,
          problem: `not JSON (${err instanceof Error ? err.message : 'unreadable'})`,
        }
      }
    default:
      return { ok: true, value: text }
  }
}

/** The value a form makes, or the first reason it does not fit the schema (and where). */
export function readDraft(d: Draft, s: Schema, path = ''): Read {
  const r = readPart(d, s, path)
  if (!r.ok) return r
  const problem = checkValue(r.value, s)
  if (problem === null) return r
  // checkValue names the part inside the value ("range.min: …"): point the field out too.
  const inner = /^([\w.[\]]+): /.exec(problem)?.[1]
  if (!inner) return { ok: false, path, problem: path ? `${path}: ${problem}` : problem }
  const at = inner.startsWith('[') ? path + inner : join(path, inner)
  return { ok: false, path: at, problem: `${at}: ${problem.slice(inner.length + 2)}` }
}
