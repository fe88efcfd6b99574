import WebSocket from 'ws'
import {
  apiName,
  eventChannels,
  invokeChannels,
  onName,
  type InvokeChannel,
  type RendererApi,
  type Result,
} from '../../../shared/contract'

/**
 * A Node client for the web shell's WebSocket, speaking the same wire format as the renderer's
 * web-api.ts ({ id, channel, request } → { id, result }; pushes { event, payload }).
 */
export async function connectWs(url: string, origin: string) {
  const ws = new WebSocket(url, { origin })
  await new Promise<void>((resolve, reject) => {
    ws.once('open', () => resolve())
    ws.once('error', reject)
    ws.once('unexpected-response', (_req, res) => reject(new Error(`HTTP ${res.statusCode}`)))
  })
  const received: unknown[] = []
  const pending = new Map<number | string, (r: Result<unknown>) => void>()
  const listeners = new Map<string, Set<(p: unknown) => void>>()
  let nextId = 1
  ws.on('message', (data) => {
    const msg = JSON.parse(String(data)) as {
      id?: number | string | null
      result?: Result<unknown>
      event?: string
      payload?: unknown
    }
    received.push(msg)
    if (msg.event) for (const l of listeners.get(msg.event) ?? []) l(msg.payload)
    else if (msg.id !== undefined && msg.id !== null) pending.get(msg.id)?.(msg.result!)
    else pending.get('orphan')?.(msg.result!)
  })

  /** Sends any text and waits for the answer with that id (or an id-less one). */
  function raw(text: string, id: number | string | 'orphan'): Promise<Result<unknown>> {
    return new Promise((resolve) => {
      pending.set(id, (r) => {
        pending.delete(id)
        resolve(r)
      })
      ws.send(text)
    })
  }

  const api: Record<string, unknown> = {}
  for (const channel of Object.keys(invokeChannels) as InvokeChannel[]) {
    api[apiName(channel)] = (...args: unknown[]) => {
      const id = nextId++
      return raw(
        JSON.stringify(args.length ? { id, channel, request: args[0] } : { id, channel }),
        id,
      )
    }
  }
  for (const event of eventChannels) {
    api[onName(event)] = (l: (p: unknown) => void) => {
      let set = listeners.get(event)
      if (!set) listeners.set(event, (set = new Set()))
      set.add(l)
      return () => set.delete(l)
    }
  }
  return {
    api: api as unknown as RendererApi,
    raw,
    received,
    close: () => ws.close(),
    ws,
  }
}
