import { Component, type ErrorInfo, type ReactNode } from 'react'

interface State {
  error: Error | null
  componentStack: string
}

/**
 * A part of the window that throws while rendering must not leave a blank window: this shows what
 * broke, where, and a way to reload. The device keeps running in the app meanwhile.
 */
export class ErrorBoundary extends Component<{ children: ReactNode }, State> {
  override state: State = { error: null, componentStack: '' }

  static getDerivedStateFromError(error: Error): Partial<State> {
    return { error }
  }

  override componentDidCatch(error: Error, info: ErrorInfo): void {
    this.setState({ componentStack: info.componentStack ?? '' })
    console.error('the window failed to render:', error)
  }

  override render(): ReactNode {
    const { error, componentStack } = this.state
    if (!error) return this.props.children
    const details =
      `${error.name}: ${error.message}\n${error.stack ?? ''}\n${componentStack}`.trim()
    return (
      <main className="crashed" role="alert" data-testid="render-error">
        <h1>Something in this window broke</h1>
        <p>
          The device keeps running in the app; only the window stopped drawing. Reload the window to
          carry on. If it happens again, copy the details into a bug report.
        </p>
        <p className="mono">{error.message}</p>
        <div className="crashed-buttons">
          <button type="button" className="primary" onClick={() => window.location.reload()}>
            Reload the window
          </button>
          <button type="button" onClick={() => void navigator.clipboard?.writeText(details)}>
            Copy details
          </button>
        </div>
        <details>
          <summary>Details</summary>
          <pre>{details}</pre>
        </details>
      </main>
    )
  }
}
