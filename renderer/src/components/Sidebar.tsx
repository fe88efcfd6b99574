import { useState } from 'react'
import { actions, useApp } from '../store'
import { Behaviours } from './Behaviours'
import { LabPanel } from './LabPanel'

export function Sidebar() {
  const settings = useApp((s) => s.settings)
  const info = useApp((s) => s.info)
  const [copied, setCopied] = useState<boolean | null>(null)
  return (
    <aside className="sidebar">
      <Behaviours />
      <LabPanel />
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
            <dt>device key</dt>
            <dd
              className="mono"
              title={
                settings.keyKind === 'group'
                  ? 'derived from the enrollment group key for this device id'
                  : 'entered as a device key'
              }
            >
              {settings.keyMasked || '—'}
              {settings.keyKind === 'group' ? ' (from group key)' : ''}
            </dd>
            <dt>transport</dt>
            <dd>{settings.transport === 'mqtt' ? 'MQTT (8883)' : 'MQTT over WebSockets (443)'}</dd>
          </dl>
        ) : (
          <p className="muted">…</p>
        )}
        <div className="device-buttons">
          <button
            type="button"
            data-testid="settings-open"
            onClick={() => actions.openSettings(true)}
          >
            Settings
          </button>
          <button
            type="button"
            data-testid="diagnostics-copy"
            title="Versions, settings (keys masked), state, timeline and log: for a bug report"
            onClick={() =>
              void actions.copyDiagnostics().then((ok) => {
                setCopied(ok)
                setTimeout(() => setCopied(null), 2000)
              })
            }
          >
            {copied === null ? 'Copy diagnostics' : copied ? 'Copied' : 'Copy failed'}
          </button>
          {info?.canOpenLogs && (
            <button type="button" data-testid="logs-open" onClick={() => void actions.openLogs()}>
              Open logs
            </button>
          )}
        </div>
        {info?.logDir && !info.canOpenLogs && (
          <p className="muted small" data-testid="logs-dir">
            Logs: <span className="mono">{info.logDir}</span>
          </p>
        )}
      </section>
    </aside>
  )
}
