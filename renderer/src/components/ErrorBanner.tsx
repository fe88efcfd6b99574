import { actions, dismissNotice, useApp } from '../store'
import { plainError } from '../format'

/** Errors where the user looks: the device's last error, failed calls, a lost connection. */
export function ErrorBanner() {
  const lastError = useApp((s) => s.snapshot?.lastError ?? null)
  const notices = useApp((s) => s.notices)
  const transport = useApp((s) => s.transport)
  const lab = useApp((s) => s.info?.lab ?? null)
  const fault = useApp((s) => s.info?.lastFault ?? null)
  const restarting = useApp((s) => !!s.pending['lab'])
  const labDown = lab !== null && lab.status === 'stopped'
  // Shown in every state: a connect clears the connection errors, so what remains while
  // connected is news (a full disk, a refused property update) the user must see.
  const showDevice = lastError !== null

  if (!showDevice && !labDown && !fault && notices.length === 0 && transport !== 'closed')
    return null
  return (
    <div className="banners" role="alert" data-testid="error-banner">
      {transport === 'closed' && (
        <div className="banner banner-bad">
          <strong>Lost the connection to the app.</strong> Reconnecting… (is{' '}
          <code>npm run web</code> still running?)
        </div>
      )}
      {labDown && (
        <div className="banner banner-bad" data-testid="lab-stopped">
          <strong>The embedded lab stopped.</strong> <span>{lab.stoppedReason}</span>{' '}
          <button
            type="button"
            data-testid="lab-restart"
            disabled={restarting}
            onClick={() => void actions.restartLab()}
          >
            {restarting ? 'Restarting…' : 'Restart the lab'}
          </button>
        </div>
      )}
      {fault && (
        <div className="banner banner-warn" data-testid="app-fault">
          <strong>The app caught a fault and recovered.</strong> <span>{fault.message}</span>
        </div>
      )}
      {showDevice && (
        <div className="banner banner-bad" data-testid="error-device" data-code={lastError.code}>
          <strong>{plainError(lastError).headline}</strong> <span>{lastError.message}</span>
        </div>
      )}
      {notices.map((n) => (
        <div
          key={n.id}
          className="banner banner-warn"
          data-testid="error-notice"
          data-code={n.error.code}
        >
          <strong>{plainError(n.error).headline}</strong> <span>{n.error.message}</span>
          <button
            type="button"
            className="link"
            onClick={() => dismissNotice(n.id)}
            aria-label="Dismiss"
          >
            Dismiss
          </button>
        </div>
      ))}
    </div>
  )
}
