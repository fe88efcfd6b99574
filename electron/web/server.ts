import { randomBytes, timingSafeEqual } from 'node:crypto'
import { promises as fs } from 'node:fs'
import http from 'node:http'
import type { Duplex } from 'node:stream'
import path from 'node:path'
import { WebSocketServer, type WebSocket } from 'ws'
import type { EventChannel, EventPayloads, Result } from '../../shared/contract'

/** What the web shell needs from the app core (AppCore satisfies it). */
export interface WebShellCore {
  invoke(channel: unknown, input: unknown): Promise<Result<unknown>>
  onEvent(
    listener: <E extends EventChannel>(event: E, payload: EventPayloads[E]) => void,
  ): () => void
}

export interface WebShellOptions {
  core: WebShellCore
  /** The built renderer (out/renderer). */
  rendererDir: string
  /** 0 (default) = a free port. The server only ever listens on 127.0.0.1. */
  port?: number
  /** Defaults to a fresh random token per run. */
  token?: string
  log?: (line: string) => void
}

export interface WebShell {
  url: string
  token: string
  port: number
  origin: string
  stop(): Promise<void>
}

/** Wire format: the renderer sends `{ id, channel, request? }`; the shell answers `{ id, result }`
 * and pushes `{ event, payload }`. */
export interface WireRequest {
  id: number | string
  channel: string
  request?: unknown
}

const HOST = '127.0.0.1'
/**
 * A request is a few hundred bytes; settings with a CA are tens of kilobytes; a device template
 * load carries up to 8 MiB of files (modelLimits), JSON-escaped on the way. Messages up to this
 * size are read and answered (an oversized field gets its field error from the contract); past
 * it the socket is closed, so the window refuses to send such a message in the first place.
 */
export const MAX_MESSAGE = 16 << 20
/** Past this many unsent bytes on a socket, telemetry pushes to it are skipped (the rest still go). */
const SLOW_CLIENT_BYTES = 4 << 20

const contentTypes: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.ico': 'image/x-icon',
  '.woff2': 'font/woff2',
  '.map': 'application/json; charset=utf-8',
}

/**
 * The browser shell: the built renderer over HTTP and the contract over a WebSocket, on
 * 127.0.0.1 only. The page and the socket need the per-run token; the socket also needs the
 * server's own Origin (so another site open in the same browser cannot drive the device), and
 * every request must name our host (so DNS rebinding cannot reach it).
 */
export async function startWebShell(options: WebShellOptions): Promise<WebShell> {
  const token = options.token ?? randomBytes(24).toString('base64url')
  const log = options.log ?? (() => undefined)
  const rendererDir = path.resolve(options.rendererDir)
  let port = 0
  let origin = ''

  const server = http.createServer((req, res) => {
    void serveHttp(req, res).catch((err: unknown) => {
      log(`http error: ${(err as Error).message}`)
      if (!res.headersSent) res.writeHead(500, { 'content-type': 'text/plain; charset=utf-8' })
      res.end('internal error')
    })
  })

  async function serveHttp(req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
    if (!hostAllowed(req.headers.host, port)) return plain(res, 421, 'Wrong host.')
    if (req.method !== 'GET' && req.method !== 'HEAD') return plain(res, 405, 'Method not allowed.')
    const url = new URL(req.url ?? '/', origin)
    let pathname: string
    try {
      pathname = decodeURIComponent(url.pathname)
    } catch {
      return plain(res, 400, 'Bad path.')
    }
    if (pathname === '/' || pathname === '/index.html') {
      if (!tokenMatches(url.searchParams.get('token'), token)) {
        return plain(
          res,
          403,
          'This page needs the link with its token, as printed by `npm run web`.',
        )
      }
      pathname = '/index.html'
    }
    const file = path.resolve(rendererDir, '.' + path.posix.normalize(pathname))
    if (!file.startsWith(rendererDir + path.sep)) return plain(res, 404, 'Not found.')
    let body: Buffer
    try {
      body = await fs.readFile(file)
    } catch {
      if (pathname === '/index.html')
        return plain(res, 503, `The renderer is not built (${rendererDir}). Run npm run build.`)
      return plain(res, 404, 'Not found.')
    }
    res.writeHead(200, {
      'content-type': contentTypes[path.extname(file)] ?? 'application/octet-stream',
      'content-length': body.length,
      'cache-control': 'no-store',
      'x-content-type-options': 'nosniff',
      'referrer-policy': 'no-referrer',
      'x-frame-options': 'DENY',
      'content-security-policy': cspFor(origin),
    })
    res.end(req.method === 'HEAD' ? undefined : body)
  }

  const wss = new WebSocketServer({ noServer: true, maxPayload: MAX_MESSAGE })
  server.on('upgrade', (req, socket, head) => {
    const reject = (status: number, text: string) => {
      log(`websocket refused (${status}): ${text}`)
      rejectUpgrade(socket, status, text)
    }
    if (!hostAllowed(req.headers.host, port)) return reject(421, 'wrong host')
    const url = new URL(req.url ?? '/', origin)
    if (url.pathname !== '/ws') return reject(404, 'not found')
    if (!tokenMatches(url.searchParams.get('token'), token)) return reject(403, 'bad token')
    // The page's own origin only: by IP as printed, or by name when the user typed localhost.
    if (req.headers.origin !== origin && req.headers.origin !== `http://localhost:${port}`)
      return reject(403, 'foreign origin')
    wss.handleUpgrade(req, socket, head, (ws) => wss.emit('connection', ws, req))
  })

  wss.on('connection', (ws: WebSocket) => {
    const unsubscribe = options.core.onEvent((event, payload) => {
      if (ws.readyState !== ws.OPEN) return
      if (event === 'telemetry:added' && ws.bufferedAmount > SLOW_CLIENT_BYTES) return
      ws.send(JSON.stringify({ event, payload }))
    })
    ws.on('close', unsubscribe)
    ws.on('error', () => undefined)
    ws.on('message', (data, isBinary) => {
      // Nothing a client sends may reach the process's last-resort handler (which restarts
      // the device): whatever escapes is answered as an internal error and logged.
      handleMessage(ws, isBinary ? null : data.toString()).catch((err: unknown) => {
        log(`web shell: a request failed: ${err instanceof Error ? err.message : String(err)}`)
        send(ws, {
          id: null,
          result: { ok: false, error: { code: 'internal', message: 'the request failed' } },
        })
      })
    })
  })

  async function handleMessage(ws: WebSocket, text: string | null): Promise<void> {
    let msg: unknown
    try {
      msg = text === null ? undefined : JSON.parse(text)
    } catch {
      msg = undefined
    }
    if (!isWireRequest(msg)) {
      send(ws, {
        id: null,
        result: {
          ok: false,
          error: {
            code: 'bad-request',
            message: 'expected {"id","channel","request"} as JSON text',
          },
        },
      })
      return
    }
    const result = await options.core.invoke(msg.channel, msg.request)
    send(ws, { id: msg.id, result })
  }

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject)
    server.listen(options.port ?? 0, HOST, () => {
      server.off('error', reject)
      resolve()
    })
  })
  port = (server.address() as { port: number }).port
  origin = `http://${HOST}:${port}`
  const shellUrl = `${origin}/?token=${token}`
  log(`web shell on ${origin}`)

  let stopping: Promise<void> | null = null
  return {
    url: shellUrl,
    token,
    port,
    origin,
    stop() {
      stopping ??= new Promise<void>((resolve) => {
        for (const ws of wss.clients) ws.terminate()
        wss.close()
        server.close(() => resolve())
        server.closeAllConnections()
      })
      return stopping
    },
  }
}

function send(ws: WebSocket, msg: unknown): void {
  if (ws.readyState === ws.OPEN) ws.send(JSON.stringify(msg))
}

function isWireRequest(m: unknown): m is WireRequest {
  if (!m || typeof m !== 'object' || Array.isArray(m)) return false
  const r = m as Record<string, unknown>
  return (
    (typeof r['id'] === 'number' || (typeof r['id'] === 'string' && r['id'].length <= 64)) &&
    typeof r['channel'] === 'string'
  )
}

function tokenMatches(given: string | null, token: string): boolean {
  if (!given) return false
  const a = Buffer.from(given)
  const b = Buffer.from(token)
  return a.length === b.length && timingSafeEqual(a, b)
}

function hostAllowed(host: string | undefined, port: number): boolean {
  return host === `${HOST}:${port}` || host === `localhost:${port}`
}

function plain(res: http.ServerResponse, status: number, text: string): void {
  res.writeHead(status, {
    'content-type': 'text/plain; charset=utf-8',
    'cache-control': 'no-store',
  })
  res.end(text + '\n')
}

function rejectUpgrade(socket: Duplex, status: number, text: string): void {
  const reason = http.STATUS_CODES[status] ?? 'Error'
  socket.once('finish', () => socket.destroy())
  socket.end(
    `HTTP/1.1 ${status} ${reason}\r\nConnection: close\r\nContent-Type: text/plain\r\nContent-Length: ${Buffer.byteLength(text)}\r\n\r\n${text}`,
  )
}

function cspFor(origin: string): string {
  const ws = origin.replace(/^http/, 'ws')
  return [
    "default-src 'self'",
    "script-src 'self'",
    "style-src 'self'",
    "img-src 'self' data:",
    `connect-src 'self' ${ws}`,
    "object-src 'none'",
    "base-uri 'none'",
    "form-action 'none'",
    "frame-ancestors 'none'",
  ].join('; ')
}
