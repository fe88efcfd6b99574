import {
  apiName,
  eventChannels,
  invokeChannels,
  onName,
  type EventChannel,
  type InvokeChannel,
  type RendererApi,
  type Result,
} from '../../../shared/contract'

// The browser shell's side of the contract: the same RendererApi as Electron's preload, spoken
// over one WebSocket ({ id, channel, request } → { id, result }; pushes are { event, payload }).

export type TransportStatus = 'connecting' | 'open' | 'closed'

export interface WebApi {
  api: RendererApi
  /** Socket state changes; after a reconnect the caller should reload what it shows. */
  onStatus(listener: (status: TransportStatus) => void): () => void
  close(): void
}

interface Pending {
  resolve(result: Result<unknown>): void
  channel: string
}

const REQUEST_TIMEOUT_MS = 30_000
/** The web shell closes the socket on a message larger than this (see server.ts MAX_MESSAGE). */
const MAX_REQUEST_CHARS = 16 << 20

export function createWebApi(
  socketUrl: string,
  WebSocketImpl: typeof WebSocket = WebSocket,
): WebApi {
  let ws: WebSocket | null = null
  let status: TransportStatus = 'connecting'
  let nextId = 1
  let retryMs = 500
  let closed = false
  const pending = new Map<number, Pending>()
  /** Requests made while the socket is not open, sent when it opens. Every one is also pending:
   * when it is answered as failed (socket closed, timeout) it leaves the outbox too, so an action
   * the user was told had failed is never carried out later behind their back. */
  const outbox = new Map<number, string>()
  const eventListeners = new Map<string, Set<(payload: unknown) => void>>()
  const statusListeners = new Set<(s: TransportStatus) => void>()

  function setStatus(s: TransportStatus) {
    if (status === s) return
    status = s
    for (const l of statusListeners) l(s)
  }

  function open() {
    if (closed) return
    setStatus('connecting')
    const socket = new WebSocketImpl(socketUrl)
    ws = socket
    socket.onopen = () => {
      retryMs = 500
      setStatus('open')
      for (const m of outbox.values()) socket.send(m)
      outbox.clear()
    }
    socket.onmessage = (ev: MessageEvent) => {
      let msg: { id?: unknown; result?: Result<unknown>; event?: unknown; payload?: unknown }
      try {
        msg = JSON.parse(String(ev.data)) as typeof msg
      } catch {
        return
      }
      if (typeof msg.event === 'string') {
        for (const l of eventListeners.get(msg.event) ?? []) l(msg.payload)
        return
      }
      if (typeof msg.id === 'number' && msg.result) {
        const p = pending.get(msg.id)
        if (p) {
          pending.delete(msg.id)
          p.resolve(msg.result)
        }
      }
    }
    socket.onclose = () => {
      if (ws !== socket) return
      ws = null
      outbox.clear()
      for (const [id, p] of pending) {
        pending.delete(id)
        p.resolve({
          ok: false,
          error: { code: 'unavailable', message: `${p.channel}: lost the connection to the app` },
        })
      }
      setStatus('closed')
      if (!closed) {
        setTimeout(open, retryMs)
        retryMs = Math.min(retryMs * 2, 5000)
      }
    }
  }

  function call(channel: InvokeChannel, request?: unknown): Promise<Result<unknown>> {
    return new Promise((resolve) => {
      const id = nextId++
      const text = JSON.stringify(
        request === undefined ? { id, channel } : { id, channel, request },
      )
      // Sent, it would cost the connection; answered here, it costs nothing.
      if (text.length > MAX_REQUEST_CHARS)
        return resolve({
          ok: false,
          error: {
            code: 'bad-request',
            message: `${channel}: the request is ${Math.round(text.length / 1024)} KiB, more than the app takes; shorten what you typed`,
          },
        })
      const timer = setTimeout(() => {
        outbox.delete(id)
        if (pending.delete(id))
          resolve({
            ok: false,
            error: { code: 'unavailable', message: `${channel}: the app did not answer` },
          })
      }, REQUEST_TIMEOUT_MS)
      pending.set(id, {
        channel,
        resolve: (r) => {
          clearTimeout(timer)
          resolve(r)
        },
      })
      if (ws && ws.readyState === WebSocketImpl.OPEN) ws.send(text)
      else outbox.set(id, text)
    })
  }

  function subscribe(event: EventChannel, listener: (payload: unknown) => void): () => void {
    let set = eventListeners.get(event)
    if (!set) eventListeners.set(event, (set = new Set()))
    const wrapped = (p: unknown) => listener(p)
    set.add(wrapped)
    return () => set.delete(wrapped)
  }

  const api: Record<string, unknown> = {}
  for (const channel of Object.keys(invokeChannels) as InvokeChannel[]) {
    api[apiName(channel)] = (request?: unknown) => call(channel, request)
  }
  for (const event of eventChannels) {
    api[onName(event)] = (listener: (payload: unknown) => void) => subscribe(event, listener)
  }

  open()
  return {
    api: api as unknown as RendererApi,
    onStatus(listener) {
      statusListeners.add(listener)
      return () => statusListeners.delete(listener)
    },
    close() {
      closed = true
      ws?.close()
    },
  }
}

/** The socket URL for the page this script was served with (token from the page's own URL). */
export function socketUrlFromLocation(
  loc: Pick<URL, 'protocol' | 'host' | 'search'>,
): string | null {
  const token = new URLSearchParams(loc.search).get('token')
  if (!token) return null
  const proto = loc.protocol === 'https:' ? 'wss:' : 'ws:'
  return `${proto}//${loc.host}/ws?token=${encodeURIComponent(token)}`
}
