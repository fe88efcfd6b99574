import { actions, useApp } from '../store'
import { Behaviours } from './Behaviours'

export function Sidebar() {
  const settings = useApp((s) => s.settings)
  return (
    <aside className="sidebar">
      <Behaviours />
      <section className="card device" aria-label="Device">
        <h2>Device</h2>
        {settings ? (
          <dl className="facts">
            <dt>mode</dt>
            <dd data-testid="device-mode">
              {settings.mode === 'lab' ? 'lab (embedded)' : 'IoT Central'}
            </dd>
            <dt>scope</dt>
            <dd className="mono">{settings.idScope || '—'}</dd>
            <dt>DPS</dt>
            <dd className="mono" title={settings.provisioningHost}>
              {settings.provisioningHost || '—'}
            </dd>
            <dt>key</dt>
            <dd className="mono">
              {settings.keyKind} {settings.keyMasked}
            </dd>
            <dt>transport</dt>
            <dd>{settings.transport === 'mqtt' ? 'MQTT (8883)' : 'MQTT over WebSockets (443)'}</dd>
          </dl>
        ) : (
          <p className="muted">…</p>
        )}
        <button
          type="button"
          data-testid="settings-open"
          onClick={() => actions.openSettings(true)}
        >
          Settings
        </button>
      </section>
    </aside>
  )
}
