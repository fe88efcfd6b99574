import type { IncomingHttpHeaders } from 'node:http'
import { createServer, type Server } from 'node:https'
import { WebSocketServer, createWebSocketStream } from 'ws'
import type { Endpoint } from './endpoint'

/**
 * The SDK's WebSocket transport always dials port 443, so the three services cannot be told
 * apart by port: each gets its own loopback address (DPS 127.0.0.1, hub A .2, hub B .3).
 */
export const wsAddresses = { dps: '127.0.0.1', a: '127.0.0.2', b: '127.0.0.3' } as const

/**
 * Devices (the SDK's `ws` client) send no Origin and name the address they dial. A web page
 * in the user's browser sends its Origin, and through DNS rebinding its own Host: neither may
 * open a device link, even where the browser has been told to trust the lab's CA.
 */
export function browserRefusal(
  headers: IncomingHttpHeaders,
  address: string,
): { status: 403 | 421; message: string } | null {
  if (headers.origin !== undefined) return { status: 403, message: 'no web pages' }
  const host = (headers.host ?? '').toLowerCase()
  if (host !== address && host !== `${address}:443`) return { status: 421, message: 'wrong host' }
  return null
}

export async function serveWebSockets(
  tls: { key: string; cert: string },
  endpoints: { address: string; endpoint: Endpoint }[],
): Promise<{ stop(): Promise<void> }> {
  const servers: Server[] = []
  const wsServers: WebSocketServer[] = []
  try {
    for (const { address, endpoint } of endpoints) {
      const server = createServer({ key: tls.key, cert: tls.cert })
      await new Promise<void>((resolve, reject) => {
        server.once('error', reject)
        server.listen(443, address, () => resolve())
      })
      servers.push(server)
      // Only once listening: a WebSocketServer re-emits its server's errors, and with no
      // listener of its own a refused bind (EACCES, EADDRINUSE) would crash the whole lab.
      const wss = new WebSocketServer({
        server,
        path: '/$iothub/websocket',
        verifyClient: ({ req }, done) => {
          const refused = browserRefusal(req.headers, address)
          if (refused) done(false, refused.status, refused.message)
          else done(true)
        },
      })
      wss.on('error', () => {})
      wss.on('connection', (ws) => {
        const stream = createWebSocketStream(ws)
        stream.on('error', () => {})
        endpoint.acceptStream(stream)
      })
      wsServers.push(wss)
    }
  } catch (e) {
    await closeAll()
    throw e
  }
  async function closeAll(): Promise<void> {
    for (const w of wsServers) for (const c of w.clients) c.terminate()
    await Promise.all(
      servers.map(
        (s) =>
          new Promise<void>((resolve) => {
            s.closeAllConnections()
            s.close(() => resolve())
          }),
      ),
    )
  }
  return { stop: closeAll }
}
