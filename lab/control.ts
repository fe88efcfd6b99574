import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http'
import { z } from 'zod'
import type { Dps } from './dps'
import type { Hub } from './hub'
import type { DeviceRecord, LabState } from './state'
import type { HubName } from './types'

class HttpError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
  ) {
    super(message)
  }
}

const failoverBody = z.object({ ttl: z.number().int().min(1).max(30).optional() }).strict()
const methodBody = z
  .object({
    methodName: z.string().regex(/^[A-Za-z0-9_\-.:]{1,100}$/, 'methodName: letters, digits, _ - . :'),
    payload: z.unknown().optional(),
    responseTimeoutInSeconds: z.number().int().min(1).max(300).optional(),
  })
  .strict()
const c2dBody = z
  .object({
    body: z.union([z.string(), z.record(z.string(), z.unknown()), z.array(z.unknown()), z.number(), z.boolean()]),
    properties: z.record(z.string().min(1), z.string()).optional(),
  })
  .strict()
const desiredBody = z.record(z.string().regex(/^[^$]/, 'property names may not start with $'), z.unknown()).refine((o) => Object.keys(o).length > 0, 'give at least one property')
const throttleBody = z.object({ retryAfter: z.number().int().min(0).max(3600).optional() }).strict()

const maxBody = 1024 * 1024

type Route = { method: string; pattern: RegExp; run: (m: string[], body: unknown) => Promise<unknown> | unknown }

/** The lab's HTTP control API: what `lizard` and tests drive. 127.0.0.1 only. */
export class ControlApi {
  private server: Server | null = null
  private readonly routes: Route[]

  constructor(
    private readonly state: LabState,
    private readonly dps: Dps,
    private readonly hubs: Record<HubName, Hub>,
    facts: () => unknown,
  ) {
    const device = (id: string): DeviceRecord => {
      const d = state.devices.get(id)
      if (!d) throw new HttpError(404, 'device-not-found', `No device "${id}" has registered with this lab's DPS.`)
      return d
    }
    const parse = <T>(schema: z.ZodType<T>, body: unknown): T => {
      const r = schema.safeParse(body ?? {})
      if (!r.success) throw new HttpError(400, 'bad-request', r.error.issues.map((i) => (i.path.length ? i.path.join('.') + ': ' : '') + i.message).join('; '))
      return r.data
    }
    const hubName = (s: string): HubName => {
      if (s !== 'a' && s !== 'b') throw new HttpError(404, 'hub-not-found', `No hub "${s}": the lab has hubs a and b.`)
      return s
    }
    this.routes = [
      { method: 'GET', pattern: /^\/health$/, run: () => ({ ok: true }) },
      { method: 'GET', pattern: /^\/lab$/, run: facts },
      {
        method: 'POST',
        pattern: /^\/system\/iothub\/devices\/([^/]+)\/manual-failover$/,
        run: ([id], body) => {
          const { ttl } = parse(failoverBody, body)
          device(id!)
          return state.failover(id!, ttl)
        },
      },
      {
        method: 'POST',
        pattern: /^\/system\/iothub\/devices\/([^/]+)\/manual-failback$/,
        run: ([id]) => {
          device(id!)
          return state.failback(id!)
        },
      },
      { method: 'GET', pattern: /^\/devices$/, run: () => [...state.devices.values()].map(summary) },
      {
        method: 'GET',
        pattern: /^\/devices\/([^/]+)$/,
        run: ([id]) => {
          const d = device(id!)
          const subscriptions = d.connectedTo ? hubs[d.connectedTo].subscriptionsOf(d.deviceId) : []
          return { ...summary(d), subscriptions, twin: d.twin, c2d: d.c2d }
        },
      },
      {
        method: 'GET',
        pattern: /^\/devices\/([^/]+)\/telemetry$/,
        run: ([id]) => {
          const d = device(id!)
          return { messages: d.telemetry, stats: state.telemetryStats(d) }
        },
      },
      {
        method: 'POST',
        pattern: /^\/devices\/([^/]+)\/methods$/,
        run: async ([id], body) => {
          const req = parse(methodBody, body)
          const d = device(id!)
          const hub = d.connectedTo ? hubs[d.connectedTo] : hubs[d.assignedHub]
          return hub.invokeMethod(d.deviceId, req.methodName, req.payload, req.responseTimeoutInSeconds ?? 30)
        },
      },
      {
        method: 'POST',
        pattern: /^\/devices\/([^/]+)\/c2d$/,
        run: ([id], body) => {
          const req = parse(c2dBody, body)
          const d = device(id!)
          const text = typeof req.body === 'string' ? req.body : JSON.stringify(req.body)
          const m = state.enqueueC2d(d, text, req.properties ?? {})
          return { messageId: m.messageId, state: m.state }
        },
      },
      {
        method: 'PATCH',
        pattern: /^\/devices\/([^/]+)\/twin\/desired$/,
        run: ([id], body) => {
          const patch = parse(desiredBody, body)
          return { desired: state.patchDesired(device(id!), patch) }
        },
      },
      {
        method: 'POST',
        pattern: /^\/hubs\/([^/]+)\/(kill|blackhole|restore)$/,
        run: async ([name, action]) => {
          const hub = hubs[hubName(name!)]
          await hub.endpoint[action as 'kill' | 'blackhole' | 'restore']()
          return { hub: hub.name, mode: hub.endpoint.mode }
        },
      },
      {
        method: 'POST',
        pattern: /^\/dps\/(throttle|stop|restore)$/,
        run: async ([action], body) => {
          const { retryAfter } = parse(throttleBody, body)
          await dps.setMode(action === 'throttle' ? 'throttled' : action === 'stop' ? 'stopped' : 'up', retryAfter)
          return { mode: dps.mode, ...(dps.mode === 'throttled' ? { retryAfter: dps.throttleRetryAfterSec } : {}) }
        },
      },
    ]

    function summary(d: DeviceRecord) {
      return {
        deviceId: d.deviceId,
        homeHub: d.homeHub,
        assignedHub: d.assignedHub,
        failedOverUntil: state.isFailedOver(d) ? new Date(d.failedOverUntil!).toISOString() : null,
        connectedTo: d.connectedTo,
        telemetryCount: d.telemetryCount,
        dpsRegistrations: d.dpsRegistrations,
      }
    }
  }

  listen(port: number): Promise<number> {
    const server = createServer((req, res) => void this.serve(req, res))
    this.server = server
    return new Promise((resolve, reject) => {
      server.once('error', reject)
      server.listen(port, '127.0.0.1', () => {
        server.off('error', reject)
        resolve((server.address() as { port: number }).port)
      })
    })
  }

  private async serve(req: IncomingMessage, res: ServerResponse): Promise<void> {
    try {
      const url = new URL(req.url ?? '/', 'http://127.0.0.1')
      const path = url.pathname.replace(/\/+$/, '') || '/'
      const candidates = this.routes.filter((r) => r.pattern.test(path))
      if (candidates.length === 0) throw new HttpError(404, 'not-found', `No such endpoint: ${req.method} ${path}`)
      const route = candidates.find((r) => r.method === req.method)
      if (!route) throw new HttpError(405, 'method-not-allowed', `${path} takes ${candidates.map((r) => r.method).join(', ')}`)
      const m = route.pattern.exec(path)!.slice(1).map(decodePathPart)
      const body = await readJson(req)
      send(res, 200, await route.run(m, body))
    } catch (e) {
      if (e instanceof HttpError) send(res, e.status, { error: { code: e.code, message: e.message } })
      else send(res, 500, { error: { code: 'internal', message: e instanceof Error ? e.message : String(e) } })
    }
  }

  close(): Promise<void> {
    const server = this.server
    if (!server) return Promise.resolve()
    server.closeAllConnections()
    return new Promise((resolve) => server.close(() => resolve()))
  }
}

function decodePathPart(s: string): string {
  try {
    return decodeURIComponent(s)
  } catch {
    throw new HttpError(400, 'bad-path', `"${s}" is not valid percent-encoding`)
  }
}

function send(res: ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body ?? null)
  res.writeHead(status, { 'content-type': 'application/json; charset=utf-8', 'content-length': Buffer.byteLength(text) })
  res.end(text)
}

function readJson(req: IncomingMessage): Promise<unknown> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = []
    let size = 0
    req.on('data', (c: Buffer) => {
      size += c.length
      if (size > maxBody) {
        reject(new HttpError(413, 'too-large', 'request body over 1 MiB'))
        // Read the rest away instead of cutting the socket, so the client gets the 413 answer.
        req.removeAllListeners('data')
        req.resume()
      } else chunks.push(c)
    })
    req.on('error', reject)
    req.on('end', () => {
      const text = Buffer.concat(chunks).toString('utf8').trim()
      if (!text) return resolve(undefined)
      try {
        resolve(JSON.parse(text))
      } catch {
        reject(new HttpError(400, 'bad-json', 'the request body is not valid JSON'))
      }
    })
  })
}
