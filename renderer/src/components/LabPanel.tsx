import { useEffect, useId, useState, type ReactNode } from 'react'
import { examActive, type LabDeviceList } from '../../../shared/exam-view'
import type { LabStatus } from '../../../shared/lab-actions'
import { lizardCommand, type LabAction } from '../../../shared/lab-actions'
import { copyText } from '../format'
import { actions, useApp } from '../store'
import { ModelControls } from './LabCommands'

const pollMs = 2000
/** The lab's device list is read again this often while it is open. */
const devicesPollMs = 5000
/** Past this many devices, the list gets a filter. */
const filterFrom = 8
const outageMin = 5
const outageMax = 3600

/** The outage length as typed, brought into range (whole seconds; not a number: a minute). */
function outageSeconds(text: string): number {
  const n = Math.round(Number(text))
  if (text.trim() === '' || !Number.isFinite(n)) return 60
  return Math.min(outageMax, Math.max(outageMin, n))
}

/**
 * The embedded lab, driven from the window: fail over and back, a data-center outage, each chaos
 * switch, and a form for each of the model's commands and writable properties. Every button names
 * the `lizard` command that does the same, so what was tried here can be scripted.
 */
export function LabPanel() {
  const lab = useApp((s) => s.info?.lab ?? null)
  const deviceId = useApp((s) => s.snapshot?.deviceId ?? 'failover_js')
  const busy = useApp((s) => !!s.pending['lab:act'])
  const model = useApp((s) => s.info?.model ?? null)
  const fleetDevice = useApp((s) => s.fleetDevice?.id ?? null)
  const examining = useApp((s) => (examActive(s.exam?.state) ? (s.exam?.deviceId ?? null) : null))
  const [status, setStatus] = useState<LabStatus | null>(null)
  // The action last pointed at, not its command: the command is made at each render, so it always
  // names the lab's current address (a restarted lab listens on other ports).
  const [shown, setShown] = useState<LabAction | null>(null)
  const [result, setResult] = useState<{ text: string; ok: boolean } | null>(null)
  const [copied, setCopied] = useState(false)
  const [ttl, setTtl] = useState(5)
  // As typed: a keystroke is never corrected; the length is brought into range when it is used.
  const [outageText, setOutageText] = useState('60')
  const [outageClamped, setOutageClamped] = useState(false)
  const outageHintId = useId()
  const running = lab?.status === 'running' && lab.controlUrl

  useEffect(() => {
    if (!running) return
    let live = true
    const read = async () => {
      const r = await actions.labStatus()
      if (live && r) setStatus(r)
    }
    void read()
    const t = setInterval(() => void read(), pollMs)
    return () => {
      live = false
      clearInterval(t)
    }
  }, [running])

  if (!lab) return null
  const command = (a: LabAction) =>
    lizardCommand(lab.lizard, a, deviceId, lab.controlUrl ?? 'http://127.0.0.1:8090')
  const outageFor = outageSeconds(outageText)
  const outageTyped = Number(outageText.trim() === '' ? NaN : outageText)
  const outageValid =
    Number.isInteger(outageTyped) && outageTyped >= outageMin && outageTyped <= outageMax
  /** Puts the length the lab will use in the field, and says so when it differs from what was typed. */
  const settleOutage = () => {
    if (outageValid) return
    setOutageText(String(outageFor))
    setOutageClamped(true)
  }
  const shownCommand = command(shown ?? { action: 'outage', hub: 'a', forSeconds: outageFor })

  const act = async (a: LabAction) => {
    if (a.action === 'outage') settleOutage()
    setShown(a)
    const r = await actions.labAct(a)
    setResult(r.ok ? { text: r.value, ok: true } : { text: r.error.message, ok: false })
    const s = await actions.labStatus()
    if (s) setStatus(s)
  }

  // A plain function, not a component: an inner component type would remount (and lose focus) on
  // every render.
  const button = (a: LabAction, testId: string, children: ReactNode) => (
    <LabButton
      command={command(a)}
      disabled={!running || busy || !!examining}
      testId={testId}
      onShow={() => setShown(a)}
      onAct={() => void act(a)}
    >
      {children}
    </LabButton>
  )

  const hubState = (name: 'a' | 'b') => {
    const h = status?.hubs[name]
    if (!h) return null
    return (
      <span
        className={`lab-state lab-${h.mode}`}
        data-testid={`lab-hub-${name}-state`}
        data-mode={h.mode}
      >
        {h.mode}
        {h.dpsNote ? ` · ${h.dpsNote}` : ''}
      </span>
    )
  }

  return (
    <section className="card labpanel" aria-label="Lab controls">
      <h2>Lab</h2>
      {!running && (
        <p className="muted small">The lab is {lab.status}: its controls wait for it.</p>
      )}
      {examining && (
        <p className="muted small" data-testid="lab-panel-exam-note">
          An exam of {examining} is driving the lab: its buttons wait for it to end.
        </p>
      )}
      {fleetDevice && (
        <p className="muted small" data-testid="lab-panel-device-note">
          The device controls here act on {deviceId}, not on the fleet device shown ({fleetDevice}).
        </p>
      )}
      <fieldset>
        <legend>This device</legend>
        <div className="lab-row">
          {button({ action: 'failover', ttl }, 'lab-failover', 'Fail over')}
          <label className="lab-inline">
            for{' '}
            <select
              aria-label="Failover time to live in minutes"
              value={ttl}
              onChange={(e) => setTtl(Number(e.target.value))}
            >
              {[1, 2, 5, 10, 30].map((m) => (
                <option key={m} value={m}>
                  {m} min
                </option>
              ))}
            </select>
          </label>
          {button({ action: 'failback' }, 'lab-failback', 'Fail back')}
        </div>
      </fieldset>
      <fieldset>
        <legend>Exam</legend>
        <div className="lab-row">
          <button
            type="button"
            data-testid="lab-exam-this"
            title={`Is ${deviceId} ready for the lizard? Runs the seed's disasters against it and scores what the lab saw (${lab.lizard} exam ${deviceId})`}
            onClick={() => actions.openExam(deviceId)}
          >
            Examine this device
          </button>
        </div>
        <LabDevices own={deviceId} running={!!running} />
      </fieldset>
      <fieldset>
        <legend>Data-center loss</legend>
        <div className="lab-row">
          {button(
            { action: 'outage', hub: 'a', forSeconds: outageFor },
            'lab-outage-a',
            'Outage A',
          )}
          {button(
            { action: 'outage', hub: 'b', forSeconds: outageFor },
            'lab-outage-b',
            'Outage B',
          )}
          <label className="lab-inline">
            for{' '}
            <input
              type="number"
              min={outageMin}
              max={outageMax}
              aria-label="Outage length in seconds"
              aria-invalid={outageValid ? undefined : true}
              aria-describedby={outageValid && !outageClamped ? undefined : outageHintId}
              value={outageText}
              onChange={(e) => {
                setOutageText(e.target.value)
                setOutageClamped(false)
              }}
              onBlur={settleOutage}
            />{' '}
            s
          </label>
          {(!outageValid || outageClamped) && (
            <span
              id={outageHintId}
              className="muted small"
              data-testid="lab-outage-hint"
              role="status"
            >
              {outageMin} to {outageMax} whole seconds
              {outageValid ? '' : `: ${outageFor} will be used`}
            </span>
          )}
        </div>
      </fieldset>
      <fieldset>
        <legend>Hubs</legend>
        {(['a', 'b'] as const).map((h) => (
          <div className="lab-row" key={h}>
            <span className="lab-name">{h.toUpperCase()}</span>
            {button({ action: 'hub', hub: h, op: 'kill' }, `lab-hub-${h}-kill`, 'Kill')}
            {button(
              { action: 'hub', hub: h, op: 'blackhole' },
              `lab-hub-${h}-blackhole`,
              'Blackhole',
            )}
            {button({ action: 'hub', hub: h, op: 'restore' }, `lab-hub-${h}-restore`, 'Restore')}
            {hubState(h)}
          </div>
        ))}
        <div className="lab-row">
          <span className="lab-name">DPS</span>
          {button({ action: 'dps', op: 'throttle' }, 'lab-dps-throttle', 'Throttle')}
          {button({ action: 'dps', op: 'stop' }, 'lab-dps-stop', 'Stop')}
          {button({ action: 'dps', op: 'restore' }, 'lab-dps-restore', 'Restore')}
          {status && (
            <span className={`lab-state lab-${status.dps.mode}`} data-testid="lab-dps-state">
              {status.dps.mode}
            </span>
          )}
        </div>
      </fieldset>
      {model && (
        <fieldset className="lab-model">
          <legend>Commands and properties</legend>
          <ModelControls
            key={model.id}
            model={model}
            hooks={{
              command,
              disabled: !running || busy || !!examining,
              onShow: setShown,
              onAct: (a) => void act(a),
            }}
          />
        </fieldset>
      )}
      <div className="lab-command" data-testid="lab-command">
        <span className="muted small">In a terminal:</span>
        <code>{shownCommand}</code>
        <button
          type="button"
          className="link"
          onClick={() =>
            void copyText(shownCommand).then((ok) => {
              setCopied(ok)
              setTimeout(() => setCopied(false), 1500)
            })
          }
        >
          {copied ? 'Copied' : 'Copy'}
        </button>
      </div>
      <p
        className={result?.ok === false ? 'lab-result lab-result-bad' : 'lab-result'}
        aria-live="polite"
        data-testid="lab-result"
      >
        {result?.text ?? ''}
      </p>
    </section>
  )
}

/** Defined outside the panel so a re-render (the lab's state every 2 s) never steals focus. */
function LabButton({
  command,
  disabled,
  testId,
  onShow,
  onAct,
  children,
}: {
  command: string
  disabled: boolean
  testId: string
  onShow: () => void
  onAct: () => void
  children: ReactNode
}) {
  return (
    <button
      type="button"
      data-testid={testId}
      disabled={disabled}
      title={command}
      data-command={command}
      onMouseEnter={onShow}
      onFocus={onShow}
      onClick={onAct}
    >
      {children}
    </button>
  )
}

/**
 * The devices the lab knows, whatever their client (this app's, a fleet's, your own), with
 * "Examine" beside each other connected one. Read when opened and every few seconds while open.
 */
function LabDevices({ own, running }: { own: string; running: boolean }) {
  const [open, setOpen] = useState(false)
  const [list, setList] = useState<LabDeviceList | null>(null)
  const [problem, setProblem] = useState<string | null>(null)
  const [filter, setFilter] = useState('')
  const filterId = useId()

  useEffect(() => {
    if (!open || !running) return
    let live = true
    const read = async () => {
      const r = await actions.labDevices()
      if (!live) return
      if (r.ok) {
        setList(r.value)
        setProblem(null)
      } else setProblem(r.error.message)
    }
    void read()
    const t = setInterval(() => void read(), devicesPollMs)
    return () => {
      live = false
      clearInterval(t)
    }
  }, [open, running])

  const others = (list?.devices ?? []).filter((d) => d.deviceId !== own)
  const wanted = filter.trim().toLowerCase()
  const shown = wanted ? others.filter((d) => d.deviceId.toLowerCase().includes(wanted)) : others
  const connected = others.filter((d) => d.connected).length
  const more = list ? list.total - list.devices.length : 0

  return (
    <details
      className="lab-devices"
      data-testid="lab-devices"
      onToggle={(e) => setOpen((e.currentTarget as HTMLDetailsElement).open)}
    >
      <summary>
        Devices on the lab
        {list ? (
          <span className="muted" data-testid="lab-devices-count">
            {' '}
            · {connected} other{connected === 1 ? '' : 's'} connected
          </span>
        ) : null}
      </summary>
      {!running && <p className="muted small">The lab is not running.</p>}
      {problem && (
        <p className="lab-result lab-result-bad" data-testid="lab-devices-problem">
          {problem}
        </p>
      )}
      {running && !list && !problem && <p className="muted small">Reading…</p>}
      {list && others.length === 0 && (
        <p className="muted small" data-testid="lab-devices-none">
          No other device on the lab yet: start one (lizard connect-info says how), or a fleet.
        </p>
      )}
      {others.length > filterFrom && (
        <div className="lab-row">
          <label htmlFor={filterId} className="lab-inline">
            Find
          </label>
          <input
            id={filterId}
            type="search"
            value={filter}
            maxLength={128}
            onChange={(e) => setFilter(e.target.value)}
          />
        </div>
      )}
      {shown.length > 0 && (
        <ul className="lab-device-list" aria-label="Devices on the lab">
          {shown.map((d) => (
            <li
              key={d.deviceId}
              className="lab-device"
              data-testid="lab-device"
              data-id={d.deviceId}
            >
              <span className="mono lab-device-id" title={d.modelId ?? 'it named no model id'}>
                {d.deviceId}
              </span>
              <span className="lab-device-state">
                {d.connected ? `on hub ${d.hub}` : 'not connected'}
              </span>
              <button
                type="button"
                data-testid="lab-device-examine"
                aria-label={`Examine ${d.deviceId}`}
                disabled={!d.connected}
                title={d.connected ? undefined : 'The exam needs the device connected to the lab'}
                onClick={() => actions.openExam(d.deviceId)}
              >
                Examine
              </button>
            </li>
          ))}
        </ul>
      )}
      {more > 0 && (
        <p className="muted small">
          and {more} more the list does not show (it shows {list?.devices.length}, connected first)
        </p>
      )}
    </details>
  )
}
