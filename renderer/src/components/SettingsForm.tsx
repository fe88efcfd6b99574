import { useEffect, useRef, useState, type FormEvent } from 'react'
import { settingsInputSchema, type SettingsInput } from '../../../shared/settings'
import { actions, useApp } from '../store'

type Field = keyof SettingsInput
type Errors = Partial<Record<Field | 'form', string>>

export function SettingsDialog() {
  const open = useApp((s) => s.settingsOpen)
  if (!open) return null
  return <SettingsForm />
}

function SettingsForm() {
  const settings = useApp((s) => s.settings)
  const model = useApp((s) => s.info?.model)
  const saving = useApp((s) => !!s.pending['settings'])
  const central = settings?.mode === 'central'
  const [form, setForm] = useState<SettingsInput>(() => ({
    idScope: central ? settings.idScope : '',
    keyKind: central ? settings.keyKind : 'group',
    key: '',
    deviceId: settings?.deviceId ?? 'failover_js',
    modelId: settings?.modelId ?? model?.id ?? 'dtmi:Sample:Failover;1',
    provisioningHost: central ? settings.provisioningHost : 'global.azure-devices-provisioning.net',
    transport: settings?.transport ?? 'mqtt',
  }))
  const [errors, setErrors] = useState<Errors>({})
  const first = useRef<HTMLInputElement>(null)

  const dialog = useRef<HTMLFormElement>(null)

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

  const set = <K extends Field>(k: K, v: SettingsInput[K]) => {
    setForm((f) => ({ ...f, [k]: v }))
    setErrors((e) => ({ ...e, [k]: undefined, form: undefined }))
  }

  const submit = async (e: FormEvent) => {
    e.preventDefault()
    const parsed = settingsInputSchema.safeParse(form)
    if (!parsed.success) {
      const next: Errors = {}
      for (const issue of parsed.error.issues) {
        const k = (issue.path[0] as Field | undefined) ?? 'form'
        next[k] ??= issue.message
      }
      setErrors(next)
      return
    }
    if (parsed.data.key === '' && !central) {
      setErrors({ key: 'Enter the key (none is saved yet).' })
      return
    }
    const err = await actions.saveSettings(parsed.data)
    if (err) setErrors({ form: err.message })
  }

  const field = (k: Field, label: string, input: React.ReactNode, hint?: string) => (
    <label className={errors[k] ? 'field field-error' : 'field'}>
      <span className="field-label">{label}</span>
      {input}
      {errors[k] ? (
        <span className="field-msg" data-testid={`settings-error-${k}`}>
          {errors[k]}
        </span>
      ) : (
        hint && <span className="field-hint">{hint}</span>
      )}
    </label>
  )

  return (
    <div
      className="overlay"
      onMouseDown={(e) => e.target === e.currentTarget && actions.openSettings(false)}
    >
      <form
        ref={dialog}
        className="dialog"
        onSubmit={(e) => void submit(e)}
        data-testid="settings-form"
        role="dialog"
        aria-modal="true"
        aria-labelledby="settings-title"
        noValidate
      >
        <h2 id="settings-title">Device settings</h2>
        <p className="muted small">
          From your IoT Central application: Permissions → Device connection groups. Saving
          reconnects the device.
        </p>
        {field(
          'idScope',
          'ID scope',
          <input
            ref={first}
            data-testid="settings-idScope"
            value={form.idScope}
            onChange={(e) => set('idScope', e.target.value.trim())}
          />,
        )}
        <div className="field-row">
          {field(
            'keyKind',
            'Key kind',
            <select
              data-testid="settings-keyKind"
              value={form.keyKind}
              onChange={(e) => set('keyKind', e.target.value as SettingsInput['keyKind'])}
            >
              <option value="group">group (SAS-IoT-Devices)</option>
              <option value="device">device</option>
            </select>,
          )}
          {field(
            'key',
            'Key',
            <input
              type="password"
              autoComplete="off"
              data-testid="settings-key"
              placeholder={
                central
                  ? `saved ${settings.keyMasked} — leave empty to keep`
                  : 'paste the primary key'
              }
              value={form.key}
              onChange={(e) => set('key', e.target.value.trim())}
            />,
          )}
        </div>
        <div className="field-row">
          {field(
            'deviceId',
            'Device id',
            <input
              data-testid="settings-deviceId"
              value={form.deviceId}
              onChange={(e) => set('deviceId', e.target.value.trim())}
            />,
          )}
          {field(
            'transport',
            'Transport',
            <select
              data-testid="settings-transport"
              value={form.transport}
              onChange={(e) => set('transport', e.target.value as SettingsInput['transport'])}
            >
              <option value="mqtt">MQTT (8883)</option>
              <option value="mqttws">MQTT over WebSockets (443)</option>
            </select>,
          )}
        </div>
        {field(
          'modelId',
          'Model id',
          <input
            data-testid="settings-modelId"
            value={form.modelId}
            onChange={(e) => set('modelId', e.target.value.trim())}
          />,
        )}
        {field(
          'provisioningHost',
          'Provisioning host',
          <input
            data-testid="settings-provisioningHost"
            value={form.provisioningHost}
            onChange={(e) => set('provisioningHost', e.target.value.trim())}
          />,
        )}
        {errors.form && (
          <div className="banner banner-bad" data-testid="settings-error">
            {errors.form}
          </div>
        )}
        <div className="dialog-buttons">
          <button
            type="button"
            data-testid="settings-use-lab"
            onClick={() => void actions.useLab()}
            disabled={saving || !central}
            title={
              central
                ? 'Forget nothing, but run the device against the embedded lab'
                : 'Already using the embedded lab'
            }
          >
            Use embedded lab
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
  )
}

/** Tab and Shift+Tab cycle through the dialog's controls instead of leaving it (it is modal). */
function keepFocusInside(container: HTMLElement | null, e: KeyboardEvent): void {
  if (!container) return
  const focusable = [
    ...container.querySelectorAll<HTMLElement>('input, select, button, textarea, [tabindex]'),
  ].filter((el) => !el.hasAttribute('disabled') && el.tabIndex >= 0)
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
