import type { AppError, ErrorCode } from '../../shared/domain'
import {
  type DpsProblem,
  type HubProblem,
  type SocketError,
  describeDpsProblem,
} from '../../shared/timeline'
import type { RawError } from './wire'

/** Longest text from a server or the SDK kept in a cause: it ends up on the timeline and the banner. */
const maxDetail = 300

/** Text that came from outside (a DPS reply, an SDK error), bounded before anyone keeps it. */
export function clip(text: string): string {
  return text.length > maxDetail ? text.slice(0, maxDetail) + '…' : text
}

/** A raw socket error as plain data (timeline causes cross IPC as JSON). */
export function socketError(e: RawError): SocketError {
  const message = clip(String(e.message))
  return typeof e.code === 'string' ? { code: clip(e.code), message } : { message }
}

/** Classifies a failed hub CONNECT from what the wire tap saw (the SDK's own error is flattened). */
export function classifyHubConnect(raw: RawError | null, sdkError: Error | undefined): HubProblem {
  if (raw && typeof raw.code === 'number') return { kind: 'refused', connack: raw.code }
  if (raw) return { kind: 'unreachable', error: socketError(raw) }
  return {
    kind: 'unreachable',
    error: { message: clip(sdkError?.message ?? 'the connection closed before the hub answered') },
  }
}

/** A provisioning attempt that did not end in an assignment. */
export class ProvisioningFailure extends Error {
  constructor(
    readonly code: ErrorCode,
    readonly problem: DpsProblem,
    /** Settings errors: retrying cannot fix them, so the engine stops. */
    readonly fatal: boolean,
    readonly retryAfterMs?: number,
  ) {
    super(describeDpsProblem(problem))
  }

  toAppError(): AppError {
    return { code: this.code, message: this.message }
  }
}

/** Maps what the provisioning SDK reports (plus the raw wire error) onto engine decisions. */
export function classifyProvisioning(
  err: Error & { result?: unknown },
  raw: RawError | null,
): ProvisioningFailure {
  const body = err.result as { message?: unknown; status?: unknown } | undefined
  const detail = typeof body?.message === 'string' ? clip(body.message) : undefined
  switch (err.name) {
    case 'UnauthorizedError':
      return new ProvisioningFailure('bad-credentials', { kind: 'unauthorized', detail }, true)
    case 'DeviceNotFoundError':
      return new ProvisioningFailure('unknown-scope', { kind: 'unknown-scope', detail }, true)
    case 'ArgumentError':
      return new ProvisioningFailure('bad-settings', { kind: 'bad-request', detail }, true)
    case 'DeviceRegistrationFailedError':
    case 'SyntaxError':
      return new ProvisioningFailure(
        'protocol',
        {
          kind: 'not-assigned',
          status: clip(typeof body?.status === 'string' ? body.status : String(err.message)),
        },
        false,
      )
  }
  if (raw && typeof raw.code === 'number') {
    const fatal = raw.code === 4 || raw.code === 5 || raw.code === 2
    const code: ErrorCode =
      raw.code === 2 ? 'bad-settings' : fatal ? 'bad-credentials' : 'unreachable'
    return new ProvisioningFailure(code, { kind: 'refused', connack: raw.code }, fatal)
  }
  const error = raw ? socketError(raw) : { message: clip(String(err.message)) }
  return new ProvisioningFailure('unreachable', { kind: 'unreachable', error }, false)
}

/** The caller gave up (disconnect, close): not a failure to report. */
export class Aborted extends Error {
  constructor() {
    super('aborted')
  }
}
