import { useEffect, useId, useRef, useState, type FormEvent, type ReactNode } from 'react'
import {
  centralKeysLocation,
  maxCaChars,
  maxEnvChars,
  parseEnvSettings,
  profileNameSchema,
  settingsInputSchema,
  type PublicProfile,
  type SettingsInput,
} from '../../../shared/settings'
import { actions, useApp } from '../store'
import { TemplateSection } from './TemplateSection'

type Field = keyof SettingsInput
type Errors = Partial<Record<Field | 'form', string>>

/** The form's own state: every field as typed (the key never comes back from the app). */
interface Draft {
  profileId: string | null
  name: string
  idScope: string
  keyKind: 'group' | 'device'
  key: string
  keepGroupKey: boolean
  deviceId: string
  modelId: string
  provisioningHost: string
  transport: 'mqtt' | 'mqttws'
  ca: string
}

const NEW = '__new__'

/**
 * The name a profile gets when none is typed: "device @ scope", with a long device id cut short
 * (an ellipsis marks the cut) so the name always fits; the user never typed it, so it may never
 * be the reason a save is refused.
 */
export function defaultProfileName(deviceId: string, idScope: string): string {
  const max = profileNameSchema.maxLength ?? 64
  const tail = ` @ ${idScope}`
  const full = `${deviceId}${tail}`
  if (full.length <= max) return full
  if (tail.length + 2 <= max) return `${deviceId.slice(0, max - tail.length - 1)}…${tail}`
  return `${full.slice(0, max - 1)}…`
}

export function SettingsDialog() {
  const open = useApp((s) => s.settingsOpen)
  if (!open) return null
  return <SettingsForm />
}

function draftFrom(p: PublicProfile | undefined, modelId: string): Draft {
  return {
    profileId: p?.id ?? null,
    name: p?.name ?? '',
    idScope: p?.idScope ?? '',
    keyKind: p?.keyKind ?? 'group',
    key: '',
    keepGroupKey: p?.groupKeyKept ?? false,
    deviceId: p?.deviceId ?? 'failover_js',
    modelId: p?.modelId ?? modelId,
    provisioningHost: p?.provisioningHost ?? 'global.azure-devices-provisioning.net',
    transport: p?.transport ?? 'mqtt',
    ca: '',
  }
}

function SettingsForm() {
  const settings = useApp((s) => s.settings)
  const model = useApp((s) => s.info?.model)
  const saving = useApp((s) => !!s.pending['settings'])
  const profiles = settings?.profiles ?? []
  const modelId = model?.id ?? 'dtmi:Sample:Failover;1'
  const startNew = useApp((s) => s.settingsFor === 'new')
  const [editing, setEditing] = useState<string>(
    startNew ? NEW : (settings?.activeProfileId ?? profiles[0]?.id ?? NEW),
  )
  const profile = profiles.find((p) => p.id === editing)
  const [form, setForm] = useState<Draft>(() => draftFrom(profile, modelId))
  const [errors, setErrors] = useState<Errors>({})
  const [note, setNote] = useState<string | null>(null)
  const first = useRef<HTMLSelectElement>(null)
  const dialog = useRef<HTMLDivElement>(null)
  const envInput = useRef<HTMLInputElement>(null)
  const caInput = useRef<HTMLInputElement>(null)

  useEffect(() => {
    // Focus moves into the dialog and, when it closes, back to what opened it.
    const opener = document.activeElement instanceof HTMLElement ? document.activeElement : null
    first.current?.focus()
    const onKey = (e: KeyboardEvent) => {
      if (e.key === 'Escape') actions.openSettings(false)
      if (e.key === 'Tab') keepFocusInside(dialog.current, e)
    }
    window.addEventListener('keydown', onKey)
    return () => {
      window.removeEventListener('keydown', onKey)
      opener?.focus()
    }
  }, [])

  const pick = (id: string) => {
    setEditing(id)
    setForm(
      draftFrom(
        profiles.find((p) => p.id === id),
        modelId,
      ),
    )
    setErrors({})
    setNote(null)
  }

  const set = <K extends keyof Draft>(k: K, v: Draft[K]) => {
    setForm((f) => ({ ...f, [k]: v }))
    setErrors((e) => ({ ...e, [k]: undefined, form: undefined }))
  }

  /** Reads a small text file chosen by the user; refuses anything larger than `max` characters. */
  const readFile = async (input: HTMLInputElement | null, max: number): Promise<string | null> => {
    const file = input?.files?.[0]
    if (input) input.value = ''
    if (!file) return null
    if (file.size > max * 4) {
      setErrors({
        form: `${file.name} is ${Math.round(file.size / 1024)} KiB: too large for this field`,
      })
      return null
    }
    return file.text()
  }

  const importEnv = async () => {
    // Only this import's outcome is shown: the last one's note goes, whatever this one says.
    setNote(null)
    const text = await readFile(envInput.current, maxEnvChars)
    if (text === null) return
    const r = parseEnvSettings(text)
    if (r.error) return setErrors({ form: `Could not import: ${r.error}` })
    setForm((f) => ({ ...f, ...r.fields, key: r.fields.key ?? f.key }))
    setErrors({})
    // keyKind is not a line of the file: it follows from which key line was there.
    const count = Object.keys(r.fields).filter((k) => k !== 'keyKind').length
    setNote(
      `Imported ${count} setting(s)${r.unknown.length ? `; ignored ${r.unknown.join(', ')}` : ''}. Check them, then save.`,
    )
  }

  const loadCa = async () => {
    const text = await readFile(caInput.current, maxCaChars)
    if (text !== null) set('ca', text.trim())
  }

  const submit = async (e: FormEvent) => {
    e.preventDefault()
    const input = {
      ...(form.profileId ? { profileId: form.profileId } : {}),
      name: form.name.trim() || defaultProfileName(form.deviceId, form.idScope),
      idScope: form.idScope,
      keyKind: form.keyKind,
      key: form.key,
      keepGroupKey: form.keyKind === 'group' && form.keepGroupKey,
      deviceId: form.deviceId,
      modelId: form.modelId,
      provisioningHost: form.provisioningHost,
      transport: form.transport,
      ...(form.ca ? { ca: form.ca } : {}),
    }
    const parsed = settingsInputSchema.safeParse(input)
    if (!parsed.success) {
      const next: Errors = {}
      for (const issue of parsed.error.issues) {
        const k = (issue.path[0] as Field | undefined) ?? 'form'
        next[k] ??= issue.message
      }
      setErrors(next)
      return
    }
    if (parsed.data.key === '' && !profile) {
      setErrors({ key: 'Enter the key (none is saved for a new profile).' })
      return
    }
    const err = await actions.saveSettings(parsed.data)
    if (err)
      setErrors(
        err.field && err.field in input ? { [err.field]: err.message } : { form: err.message },
      )
  }

  const remove = async () => {
    if (!profile) return
    const err = await actions.deleteProfile(profile.id)
    if (err) return setErrors({ form: err.message })
    pick(NEW)
  }

  const storage = settings?.secretStorage
  const keyHint = profile
    ? profile.keyUnreadable
      ? 'The saved key cannot be read on this computer: enter it again.'
      : `Saved: device key ${profile.keyMasked}${profile.groupKeyKept ? ' and the group key' : ''}. Leave empty to keep.`
    : 'Paste the primary key.'

  return (
    <div
      className="overlay"
      onMouseDown={(e) => e.target === e.currentTarget && actions.openSettings(false)}
    >
      <div
        ref={dialog}
        className="dialog"
        role="dialog"
        aria-modal="true"
        aria-labelledby="settings-title"
        data-testid="settings-dialog"
      >
        <form onSubmit={(e) => void submit(e)} data-testid="settings-form" noValidate>
          <h2 id="settings-title">Device settings</h2>
          <p className="muted small" data-testid="settings-where">
            {centralKeysLocation} Saving connects the device with these settings.
          </p>
          <div className="field-row">
            <Labelled
              label="Device profile"
              hint="The embedded lab is always available from the header."
            >
              {(id) => (
                <select
                  id={id}
                  ref={first}
                  data-testid="settings-profile"
                  value={editing}
                  onChange={(e) => pick(e.target.value)}
                >
                  {profiles.map((p) => (
                    <option key={p.id} value={p.id}>
                      {p.name}
                    </option>
                  ))}
                  <option value={NEW}>New profile…</option>
                </select>
              )}
            </Labelled>
            <div className="field field-actions">
              <button
                type="button"
                data-testid="settings-import-env"
                onClick={() => envInput.current?.click()}
              >
                Import .env…
              </button>
              <input
                ref={envInput}
                type="file"
                accept=".env,text/plain"
                hidden
                data-testid="settings-env-file"
                onChange={() => void importEnv()}
              />
              {profile && (
                <button
                  type="button"
                  className="danger"
                  data-testid="settings-delete"
                  onClick={() => void remove()}
                  disabled={saving}
                >
                  Delete profile
                </button>
              )}
            </div>
          </div>
          {note && (
            <p className="banner banner-info" data-testid="settings-note">
              {note}
            </p>
          )}
          <TextField
            k="name"
            label="Profile name"
            form={form}
            errors={errors}
            set={set}
            placeholder={defaultProfileName(form.deviceId, form.idScope || 'scope')}
          />
          <TextField k="idScope" label="ID scope" form={form} errors={errors} set={set} />
          <div className="field-row">
            <Labelled label="Key kind" error={errors.keyKind}>
              {(id) => (
                <select
                  id={id}
                  data-testid="settings-keyKind"
                  value={form.keyKind}
                  onChange={(e) => set('keyKind', e.target.value as Draft['keyKind'])}
                >
                  <option value="group">group (SAS-IoT-Devices)</option>
                  <option value="device">device</option>
                </select>
              )}
            </Labelled>
            <TextField
              k="key"
              label="Key"
              form={form}
              errors={errors}
              set={set}
              type="password"
              hint={keyHint}
            />
          </div>
          {form.keyKind === 'group' && (
            <label className="check">
              <input
                type="checkbox"
                data-testid="settings-keepGroupKey"
                checked={form.keepGroupKey}
                onChange={(e) => set('keepGroupKey', e.target.checked)}
              />
              Keep the group key too, to change the device id later without entering it again. It
              can connect every device of the group: off, only this device&apos;s own key is kept.
            </label>
          )}
          <div className="field-row">
            <TextField k="deviceId" label="Device id" form={form} errors={errors} set={set} />
            <Labelled label="Transport" error={errors.transport}>
              {(id) => (
                <select
                  id={id}
                  data-testid="settings-transport"
                  value={form.transport}
                  onChange={(e) => set('transport', e.target.value as Draft['transport'])}
                >
                  <option value="mqtt">MQTT (8883)</option>
                  <option value="mqttws">MQTT over WebSockets (443)</option>
                </select>
              )}
            </Labelled>
          </div>
          <TextField k="modelId" label="Model id" form={form} errors={errors} set={set} />
          <TemplateSection />
          <TextField
            k="provisioningHost"
            label="Provisioning host"
            form={form}
            errors={errors}
            set={set}
          />
          <Labelled
            label="CA certificate (PEM, optional)"
            error={errors.ca}
            hint={
              profile?.caSubject
                ? `Saved: ${profile.caSubject}. Leave empty to keep it.`
                : 'For a lab or private DPS on another machine. Public Azure needs none.'
            }
          >
            {(id) => (
              <div className="ca-field">
                <textarea
                  id={id}
                  rows={3}
                  spellCheck={false}
                  data-testid="settings-ca"
                  placeholder="-----BEGIN CERTIFICATE-----"
                  value={form.ca}
                  onChange={(e) => set('ca', e.target.value)}
                />
                <button type="button" onClick={() => caInput.current?.click()}>
                  Load file…
                </button>
                <input
                  ref={caInput}
                  type="file"
                  accept=".pem,.crt,.cer"
                  hidden
                  onChange={() => void loadCa()}
                />
              </div>
            )}
          </Labelled>
          {storage && (
            <p
              className={storage.encrypted ? 'muted small' : 'banner banner-warn'}
              data-testid="settings-storage"
            >
              {storage.notice ?? `Saved keys are ${storage.how}.`}
            </p>
          )}
          {errors.form && (
            <div className="banner banner-bad" data-testid="settings-error" role="alert">
              {errors.form}
            </div>
          )}
          <div className="dialog-buttons">
            <button
              type="button"
              data-testid="settings-use-lab"
              onClick={() => void actions.useLab()}
              disabled={saving || settings?.mode === 'lab'}
              title={
                settings?.mode === 'lab'
                  ? 'Already using the embedded lab'
                  : 'Keep the profiles, run the device against the embedded lab'
              }
            >
              Use embedded lab
            </button>
            <button
              type="button"
              data-testid="settings-run-fleet"
              onClick={() => actions.openFleetFromSettings()}
              title="A small fleet of devices against the embedded lab, beside this device"
            >
              Run a fleet…
            </button>
            <span className="spacer" />
            <button type="button" onClick={() => actions.openSettings(false)}>
              Cancel
            </button>
            <button type="submit" className="primary" data-testid="settings-save" disabled={saving}>
              {saving ? 'Saving…' : 'Save and connect'}
            </button>
          </div>
        </form>
      </div>
    </div>
  )
}

/** A label, its control, and either the field's error or a hint under it, tied together for screen readers. */
function Labelled({
  label,
  error,
  hint,
  children,
  testId,
}: {
  label: string
  error?: string | undefined
  hint?: string
  children: (id: string, describedBy: string | undefined) => ReactNode
  testId?: string
}) {
  const id = useId()
  const msgId = `${id}-msg`
  return (
    <div className={error ? 'field field-error' : 'field'}>
      <label className="field-label" htmlFor={id}>
        {label}
      </label>
      {children(id, error || hint ? msgId : undefined)}
      {error ? (
        <span
          id={msgId}
          className="field-msg"
          data-testid={testId ? `settings-error-${testId}` : undefined}
        >
          {error}
        </span>
      ) : (
        hint && (
          <span id={msgId} className="field-hint">
            {hint}
          </span>
        )
      )}
    </div>
  )
}

type TextKey = 'name' | 'idScope' | 'key' | 'deviceId' | 'modelId' | 'provisioningHost'

function TextField({
  k,
  label,
  form,
  errors,
  set,
  type,
  hint,
  placeholder,
}: {
  k: TextKey
  label: string
  form: Draft
  errors: Errors
  set: <K extends keyof Draft>(k: K, v: Draft[K]) => void
  type?: 'password'
  hint?: string
  placeholder?: string
}) {
  return (
    <Labelled label={label} error={errors[k]} hint={hint} testId={k}>
      {(id, describedBy) => (
        <input
          id={id}
          type={type ?? 'text'}
          autoComplete="off"
          spellCheck={false}
          data-testid={`settings-${k}`}
          aria-invalid={errors[k] ? true : undefined}
          aria-describedby={describedBy}
          placeholder={placeholder}
          value={form[k]}
          onChange={(e) => set(k, k === 'name' ? e.target.value : e.target.value.trim())}
        />
      )}
    </Labelled>
  )
}

/** Tab and Shift+Tab cycle through the dialog's controls instead of leaving it (it is modal). */
function keepFocusInside(container: HTMLElement | null, e: KeyboardEvent): void {
  if (!container) return
  const focusable = [
    ...container.querySelectorAll<HTMLElement>('input, select, button, textarea, [tabindex]'),
  ].filter((el) => !el.hasAttribute('disabled') && !el.hidden && el.tabIndex >= 0)
  if (focusable.length === 0) return
  const firstEl = focusable[0]!
  const lastEl = focusable[focusable.length - 1]!
  const active = document.activeElement
  if (e.shiftKey && (active === firstEl || !container.contains(active))) {
    e.preventDefault()
    lastEl.focus()
  } else if (!e.shiftKey && (active === lastEl || !container.contains(active))) {
    e.preventDefault()
    firstEl.focus()
  }
}
