import type { IncomingHttpHeaders } from 'node:http'

export interface Refusal {
  status: 403 | 415 | 421
  code: string
  message: string
}

/**
 * Keeps the control API to programs of this user, not web pages in the user's browser:
 * - a Host other than the loopback address and port it listens on is refused (421), which
 *   defeats DNS rebinding (a page whose name now points at 127.0.0.1 still sends its own name);
 * - any Origin but its own is refused (403): browsers send one on cross-site requests, and
 *   `null` from sandboxed frames and files; `lizard` (Node's fetch) sends none;
 * - a body that is not JSON is refused (415): a page can post text/plain or a form without a
 *   preflight, but never application/json.
 */
export function localOnlyRefusal(
  req: { headers: IncomingHttpHeaders },
  port: number,
): Refusal | null {
  const own = [`127.0.0.1:${port}`, `localhost:${port}`]
  const host = (req.headers.host ?? '').toLowerCase()
  if (!own.includes(host)) {
    return {
      status: 421,
      code: 'wrong-host',
      message: `This lab answers only as http://127.0.0.1:${port}, not "${host.slice(0, 100) || 'no Host'}".`,
    }
  }
  const origin = req.headers.origin
  if (origin !== undefined && !own.some((h) => origin.toLowerCase() === `http://${h}`)) {
    return {
      status: 403,
      code: 'foreign-origin',
      message: `Requests from web pages (${origin.slice(0, 100)}) are not accepted.`,
    }
  }
  const hasBody =
    Number(req.headers['content-length'] ?? 0) > 0 || req.headers['transfer-encoding'] !== undefined
  const type = (req.headers['content-type'] ?? '').split(';')[0]!.trim().toLowerCase()
  if (hasBody && type !== 'application/json') {
    return {
      status: 415,
      code: 'not-json',
      message: `Request bodies must be application/json, not "${type.slice(0, 100) || 'none'}".`,
    }
  }
  return null
}
