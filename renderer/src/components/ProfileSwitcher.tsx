import { actions, useApp } from '../store'

/** Switches the device between the embedded lab and the saved IoT Central profiles. */
export function ProfileSwitcher() {
  const settings = useApp((s) => s.settings)
  const busy = useApp((s) => !!s.pending['settings'])
  if (!settings) return null
  const value = settings.activeProfileId ?? 'lab'
  return (
    <label className="profile-switch">
      <span className="visually-hidden">Device profile</span>
      <select
        data-testid="profile-switch"
        value={value}
        disabled={busy}
        title="The device profile in use: switching reconnects the device"
        onChange={(e) => {
          const id = e.target.value
          if (id === 'new') return actions.openSettings(true, 'new')
          void actions.activateProfile(id)
        }}
      >
        <option value="lab">Embedded lab</option>
        {settings.profiles.map((p) => (
          <option key={p.id} value={p.id}>
            {p.name}
          </option>
        ))}
        <option value="new">Add a profile…</option>
      </select>
    </label>
  )
}
