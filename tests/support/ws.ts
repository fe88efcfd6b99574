import WebSocket from 'ws'

/** Tries to open a socket; resolves with the HTTP status of the refusal, or 101 when it opened. */
export function upgradeStatus(url: string, headers: Record<string, string>): Promise<number> {
  return new Promise((resolve) => {
    const ws = new WebSocket(url, { headers, origin: headers['origin'] })
    ws.once('open', () => {
      ws.close()
      resolve(101)
    })
    ws.once('unexpected-response', (_req, res) => {
      resolve(res.statusCode ?? 0)
      ws.terminate()
    })
    ws.once('error', () => resolve(-1))
  })
}
