import type { ContractError } from '../../shared/contract'
import type { AppError } from '../../shared/domain'

/** A failure with a code the renderer can act on. Handlers throw it; the core wraps it into a Result. */
export class AppFailure extends Error {
  readonly code: AppError['code']
  constructor(
    code: AppError['code'],
    message: string,
    /** The form field the failure is about, when it is about one. */
    readonly field?: string,
  ) {
    super(message)
    this.name = 'AppFailure'
    this.code = code
  }
}

/** Anything thrown by a handler, in words a user can read. Never leaks a stack. */
export function toAppError(err: unknown): ContractError {
  if (err instanceof AppFailure)
    return { code: err.code, message: err.message, ...(err.field ? { field: err.field } : {}) }
  if (err && typeof err === 'object' && 'code' in err && 'message' in err) {
    const code = (err as { code: unknown }).code
    const message = String((err as { message: unknown }).message)
    if (typeof code === 'string' && knownCodes.has(code))
      return { code: code as AppError['code'], message }
    return { code: 'internal', message }
  }
  return { code: 'internal', message: err instanceof Error ? err.message : String(err) }
}

const knownCodes = new Set<string>([
  'bad-credentials',
  'unknown-scope',
  'throttled',
  'unreachable',
  'hub-refused',
  'bad-settings',
  'protocol',
  'internal',
  'bad-request',
  'not-found',
  'unavailable',
])
