import type { AppError, ErrorCode } from '../../shared/domain'
import type { RawError } from './wire'

/** Why a hub connection attempt failed, in the terms the reconnect policy decides on. */
export type HubFailure =
  | { kind: 'refused'; connack: number; message: string }
  | { kind: 'timeout'; message: string }
  | { kind: 'unreachable'; message: string }

const connackText: Record<number, string> = {
  1: 'unacceptable protocol version',
  2: 'client id rejected',
  3: 'server unavailable',
  4: 'bad user name or password',
  5: 'not authorized',
}

export function connackReason(code: number): string {
  return `CONNACK ${code}, ${connackText[code] ?? 'refused'}`
}

/** Socket and TLS error codes in words a user can act on. */
export function describeSocketError(e: RawError): string {
  const code = typeof e.code === 'string' ? e.code : ''
  switch (code) {
    case 'ECONNREFUSED':
      return 'nothing is listening there (ECONNREFUSED)'
    case 'ENOTFOUND':
    case 'EAI_AGAIN':
      return `the host name does not resolve (${code})`
    case 'ECONNRESET':
      return 'the connection was reset (ECONNRESET)'
    case 'EPIPE':
      return 'the other end had already closed it (EPIPE)'
    case 'ETIMEDOUT':
    case 'EHOSTUNREACH':
    case 'ENETUNREACH':
      return `the network cannot reach it (${code})`
  }
  if (/CERT|SELF_SIGNED|ALTNAME|UNABLE_TO_VERIFY|ERR_TLS|ERR_SSL/.test(code))
    return `TLS failed: ${e.message} (${code})`
  return code ? `${e.message} (${code})` : e.message
}

/** Classifies a failed hub CONNECT from what the wire tap saw (the SDK's own error is flattened). */
export function classifyHubConnect(raw: RawError | null, sdkError: Error | undefined): HubFailure {
  if (raw && typeof raw.code === 'number')
    return { kind: 'refused', connack: raw.code, message: connackReason(raw.code) }
  if (raw) return { kind: 'unreachable', message: describeSocketError(raw) }
  return {
    kind: 'unreachable',
    message: sdkError?.message ?? 'the connection closed before the hub answered',
  }
}

/** A provisioning attempt that did not end in an assignment. */
export class ProvisioningFailure extends Error {
  constructor(
    readonly code: ErrorCode,
    message: string,
    /** Settings errors: retrying cannot fix them, so the engine stops. */
    readonly fatal: boolean,
    readonly retryAfterMs?: number,
  ) {
    super(message)
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
  const detail = typeof body?.message === 'string' ? `: ${body.message}` : ''
  switch (err.name) {
    case 'UnauthorizedError':
      return new ProvisioningFailure(
        'bad-credentials',
        `DPS rejected the device's credentials (401)${detail}`,
        true,
      )
    case 'DeviceNotFoundError':
      return new ProvisioningFailure(
        'unknown-scope',
        `DPS does not know this id scope or registration (404)${detail}`,
        true,
      )
    case 'ArgumentError':
      return new ProvisioningFailure(
        'bad-settings',
        `DPS rejected the registration request (400)${detail}`,
        true,
      )
    case 'DeviceRegistrationFailedError':
    case 'SyntaxError':
      return new ProvisioningFailure(
        'protocol',
        `DPS did not assign a hub (${typeof body?.status === 'string' ? body.status : err.message})`,
        false,
      )
  }
  if (raw && typeof raw.code === 'number') {
    const fatal = raw.code === 4 || raw.code === 5 || raw.code === 2
    const code: ErrorCode =
      raw.code === 2 ? 'bad-settings' : fatal ? 'bad-credentials' : 'unreachable'
    return new ProvisioningFailure(
      code,
      `DPS refused the connection (${connackReason(raw.code)})`,
      fatal,
    )
  }
  if (raw)
    return new ProvisioningFailure(
      'unreachable',
      `cannot reach DPS: ${describeSocketError(raw)}`,
      false,
    )
  return new ProvisioningFailure('unreachable', `cannot reach DPS: ${err.message}`, false)
}

/** The caller gave up (disconnect, close): not a failure to report. */
export class Aborted extends Error {
  constructor() {
    super('aborted')
  }
}
