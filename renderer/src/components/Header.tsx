import { actions, useApp, useDevice, useReadOnly } from '../store'
import { isActive } from '../fleet-model'
import { examActive } from '../../../shared/exam-view'
import { moveFigure, stateDetail, stateLabels, stateTone, uptime } from '../format'
import { useNow } from '../hooks'
import { ProfileSwitcher } from './ProfileSwitcher'

/** The single device or the fleet view beside it: a switch in the header, always there. */
function ViewSwitch() {
  const view = useApp((s) => s.view)
  const fleetDevice = useApp((s) => s.fleetDevice)
  const fleet = useApp((s) => s.fleet)
  const running = isActive(fleet?.status)
  const examRunning = useApp((s) => examActive(s.exam?.state))
  const onDevice = view === 'device' && !fleetDevice
  const onExam = view === 'exam' && !fleetDevice
  return (
    <nav className="view-switch" aria-label="Views">
      <button
        type="button"
        data-testid="view-device"
        aria-pressed={onDevice}
        onClick={() => actions.showView('device')}
      >
        Device
      </button>
      <button
        type="button"
        data-testid="view-fleet"
        aria-pressed={!onDevice && !onExam}
        onClick={() => actions.showView('fleet')}
        title="A small fleet of devices against the embedded lab, beside this one"
      >
        Fleet
        {running && fleet ? (
          <span className="view-count" data-testid="view-fleet-count">
            {' '}
            · {fleet.connected}/{fleet.devices}
          </span>
        ) : null}
      </button>
      <button
        type="button"
        data-testid="view-exam"
        aria-pressed={onExam}
        onClick={() => actions.showView('exam')}
        title="Is a device ready for the lizard? The exam runs the seed's disasters against it"
      >
        Exam
        {examRunning ? (
          <span className="view-count" data-testid="view-exam-running">
            {' '}
            · running
          </span>
        ) : null}
      </button>
    </nav>
  )
}

export function Header() {
  const snapshot = useDevice((d) => d.snapshot)
  const readOnly = useReadOnly()
  const info = useApp((s) => s.info)
  const pending = useApp((s) => s.pending)
  const now = useNow(1000)

  if (!snapshot) {
    return (
      <header className="header">
        <div className="header-row">
          <h1 className="device-id" data-testid="header-device">
            …
          </h1>
          <span className="state" data-testid="header-state" data-state="loading">
            <span className="dot dot-off" /> Starting
          </span>
          <span className="spacer" />
          <ViewSwitch />
        </div>
      </header>
    )
  }

  const { state, hub, counters } = snapshot
  const tone = stateTone(state.kind)
  const detail = stateDetail(state, now)
  const active = !['idle', 'disconnected', 'failed'].includes(state.kind)
  const homeLabel = hub && !hub.isHome ? otherLabel(hub.label, snapshot.homeHub) : null

  return (
    <header className="header">
      <div className="header-row">
        <h1 className="device-id" data-testid="header-device" title={`model ${snapshot.modelId}`}>
          {snapshot.deviceId}
        </h1>
        <span className={`state state-${tone}`} data-testid="header-state" data-state={state.kind}>
          <span className={`dot dot-${tone}`} />
          {stateLabels[state.kind]}
          {detail && <span className="muted"> · {detail}</span>}
        </span>
        {hub ? (
          <span
            className="hub"
            data-testid="header-hub"
            data-hub={hub.label}
            data-home={String(hub.isHome)}
          >
            <span className="hub-label">{hub.label === hub.host ? 'Hub' : `Hub ${hub.label}`}</span>
            <span className="mono muted">{hub.host}</span>
            {hub.isHome ? (
              <span className="badge badge-home" data-testid="header-hub-badge">
                HOME
              </span>
            ) : (
              <span className="badge badge-failover" data-testid="header-hub-badge">
                FAILED OVER{homeLabel ? ` · home ${homeLabel}` : ''}
              </span>
            )}
          </span>
        ) : (
          <span className="hub muted" data-testid="header-hub" data-hub="">
            not on a hub
          </span>
        )}
        {readOnly && (
          <span className="badge badge-fleet" data-testid="header-fleet-device">
            FLEET DEVICE · READ-ONLY
          </span>
        )}
        <span className="spacer" />
        <ViewSwitch />
        {info && (
          <span className="mode muted" data-testid="header-mode">
            {info.mode === 'lab' ? 'embedded lab' : 'IoT Central'} · {info.shell}
          </span>
        )}
        <ProfileSwitcher />
      </div>
      <div className="header-row header-stats">
        <Stat
          label="uptime"
          testId="header-uptime"
          value={state.kind === 'connected' ? uptime(now - state.since) : '—'}
        />
        <Stat label="failovers" testId="header-failovers" value={String(counters.failovers)} />
        <Stat label="failbacks" testId="header-failbacks" value={String(counters.failbacks)} />
        <Stat
          label="last failover"
          testId="header-last-failover"
          value={moveFigure(counters.lastFailover)}
          title="hub lost → connected on the other hub · → first message acknowledged there"
        />
        <Stat
          label="last failback"
          testId="header-last-failback"
          value={moveFigure(counters.lastFailback)}
          title="hub lost → connected on the home hub · → first message acknowledged there"
        />
        <Stat
          label="queued"
          testId="header-queued"
          value={String(counters.queued)}
          warn={counters.queued > 0}
        />
        <span className="spacer" />
        {!readOnly && (
          <div className="buttons">
            <button
              type="button"
              data-testid="btn-connect"
              disabled={active || pending['connect']}
              onClick={() => void actions.connect()}
            >
              Connect
            </button>
            <button
              type="button"
              data-testid="btn-reconnect"
              disabled={!active || state.kind === 'disconnecting' || pending['reconnect']}
              onClick={() => void actions.reconnect()}
              title="Reconnect now, cached hub first: skips any backoff wait, or drops a live connection"
            >
              Reconnect
            </button>
            <button
              type="button"
              className="danger"
              data-testid="btn-disconnect"
              disabled={!active || state.kind === 'disconnecting' || pending['disconnect']}
              onClick={() => void actions.disconnect()}
            >
              Disconnect
            </button>
          </div>
        )}
      </div>
    </header>
  )
}

function Stat({
  label,
  value,
  testId,
  warn,
  title,
}: {
  label: string
  value: string
  testId: string
  warn?: boolean
  title?: string
}) {
  return (
    <span className={warn ? 'stat stat-warn' : 'stat'} title={title}>
      <span className="stat-label">{label}</span> <span data-testid={testId}>{value}</span>
    </span>
  )
}

/** The lab names its hubs A and B: when on one and not home, home is the other. */
function otherLabel(label: string, homeHost: string | null): string | null {
  if (label === 'A') return 'B'
  if (label === 'B') return 'A'
  return homeHost
}
