import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http'
import { z } from 'zod'
import { modelLimits } from '../shared/dtdl/limits'
import type { Dps } from './dps'
import { contain, faultText, type Log } from './guard'
import type { Hub } from './hub'
import type { HubControl } from './hub-control'
import { parseJsonBounded } from './json'
import { limits } from './limits'
import { localOnlyRefusal } from './local-only'
import { quotaPatch, type Quotas } from './quotas'
import { LimitError, QueueFullError, type DeviceRecord, type LabState } from './state'
import type { HubName } from './types'
import type { WireLog } from './wire-log'

class HttpError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    /** More of the answer beside code and message (a template's problems). */
    readonly details: Record<string, unknown> = {},
  ) {
    super(message)
  }
}

/** A body that is already JSON text (telemetry, serialized as it arrived). */
class RawJson {
  constructor(readonly text: string) {}
}

const seconds = z.number().int().min(0).max(3600)
const failoverBody = z.object({ ttl: z.number().int().min(1).max(30).optional() }).strict()
const methodBody = z
  .object({
    // `*` joins a component and its command, as IoT Central names them: thermostat1*reboot.
    methodName: z
      .string()
      .regex(/^[A-Za-z0-9_\-.:*]{1,100}$/, 'methodName: letters, digits, _ - . : *'),
    payload: z.unknown().optional(),
    responseTimeoutInSeconds: z.number().int().min(1).max(300).optional(),
  })
  .strict()
const c2dBody = z
  .object({
    body: z.union([
      z.null(),
      z.string(),
      z.record(z.string(), z.unknown()),
      z.array(z.unknown()),
      z.number(),
      z.boolean(),
    ]),
    // `$.mid`, `$.to`... are the message's system properties, set by IoT Hub: an application
    // property with such a name would pose as one on the wire.
    properties: z
      .record(
        z
          .string()
          .min(1)
          .refine((k) => !k.startsWith('$'), {
            error: (i) =>
              `property "${String(i.input).slice(0, 40)}": names starting with $ are IoT Hub's system properties`,
          }),
        z.string(),
      )
      .optional(),
  })
  .strict()
const throttleBody = z.object({ retryAfter: z.number().int().min(0).max(3600).optional() }).strict()
const downBody = z
  .object({ dpsDetect: seconds.optional(), dpsUnaware: z.boolean().optional() })
  .strict()
const restoreBody = z.object({ rebalance: seconds.optional() }).strict()
const outageBody = z
  .object({
    for: z.number().int().min(1).max(86_400).optional(),
    mode: z.enum(['kill', 'blackhole']).optional(),
    dpsDetect: seconds.optional(),
    rebalance: seconds.optional(),
    dpsUnaware: z.boolean().optional(),
  })
  .strict()
const rehomeBody = z.object({ hub: z.enum(['a', 'b']) }).strict()
const dropBody = z.object({ count: z.number().int().min(0).max(1000).optional() }).strict()
const watchBody = z.object({ forSec: z.number().int().min(1).max(3600).optional() }).strict()
/** The most events one GET /devices/{id}/wire answers with; `more` says when there are others. */
export const wirePageLimit = 5000
const modelsBody = z
  .object({
    documents: z
      .array(
        z
          .object({
            name: z.string().min(1).max(256),
            text: z.string().max(modelLimits.fileChars, 'a template may be at most 1 MiB'),
          })
          .strict(),
      )
      .min(1, 'give at least one document')
      .max(modelLimits.files, `at most ${modelLimits.files} documents at once`)
      .refine(
        (ds) => ds.reduce((n, d) => n + d.text.length, 0) <= modelLimits.totalChars,
        `at most ${modelLimits.totalChars / 1024 / 1024} MiB of documents at once`,
      ),
  })
  .strict()

/** How long an outage lasts when `for` is not given. */
export const defaultOutageSec = 60

type Route = {
  method: string
  pattern: RegExp
  run: (m: string[], body: unknown, query: URLSearchParams) => Promise<unknown> | unknown
  /** The largest body this route reads (default limits.controlBodyBytes). */
  maxBody?: number
}

export interface ControlContext {
  state: LabState
  dps: Dps
  hubs: Record<HubName, Hub>
  hubControl: HubControl
  quotas: Quotas
  facts: () => unknown
  /** Answered by /health, so a discovery entry can tell this lab from a reused port. */
  instance: string
  /** What watched devices do on the wire, for `lizard exam`. */
  wire: WireLog
  log: Log
}

/** The lab's HTTP control API: what `lizard` and tests drive. 127.0.0.1 only, for this user only. */
export class ControlApi {
  private server: Server | null = null
  private port = 0
  private readonly routes: Route[]
  private readonly log: Log

  constructor(ctx: ControlContext) {
    const { state, dps, hubs, hubControl, quotas, wire } = ctx
    this.log = ctx.log
    const device = (id: string): DeviceRecord => {
      const d = state.devices.get(id)
      if (!d)
        throw new HttpError(
          404,
          'device-not-found',
          `No device "${id.slice(0, 100)}" has registered with this lab's DPS.`,
        )
      return d
    }
    const parse = <T>(schema: z.ZodType<T>, body: unknown): T => {
      const r = schema.safeParse(body ?? {})
      if (!r.success)
        throw new HttpError(
          400,
          'bad-request',
          r.error.issues
            .map((i) => (i.path.length ? i.path.join('.') + ': ' : '') + i.message)
            .join('; '),
        )
      return r.data
    }
    const hubName = (s: string): HubName => {
      if (s !== 'a' && s !== 'b')
        throw new HttpError(
          404,
          'hub-not-found',
          `No hub "${s.slice(0, 20)}": the lab has hubs a and b.`,
        )
      return s
    }
    const limited = <T>(f: () => T): T => {
      try {
        return f()
      } catch (e) {
        if (e instanceof LimitError)
          throw e.kind === 'c2d-size'
            ? new HttpError(413, 'message-too-large', e.message)
            : new HttpError(400, 'twin-limit', e.message)
        if (e instanceof QueueFullError) throw new HttpError(403, 'queue-full', e.message)
        throw e
      }
    }
    this.routes = [
      { method: 'GET', pattern: /^\/health$/, run: () => ({ ok: true, instance: ctx.instance }) },
      { method: 'GET', pattern: /^\/lab$/, run: ctx.facts },
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
      {
        method: 'GET',
        pattern: /^\/devices$/,
        run: () => [...state.devices.values()].map(summary),
      },
      {
        method: 'GET',
        pattern: /^\/devices\/([^/]+)$/,
        run: ([id]) => {
          const d = device(id!)
          const subscriptions = d.connectedTo ? hubs[d.connectedTo].subscriptionsOf(d.deviceId) : []
          return {
            ...summary(d),
            subscriptions,
            twin: d.twin,
            c2d: d.c2d,
            conformance: state.conformance(d),
          }
        },
      },
      {
        method: 'GET',
        pattern: /^\/devices\/([^/]+)\/conformance$/,
        run: ([id]) => state.conformance(device(id!)),
      },
      {
        method: 'GET',
        pattern: /^\/devices\/([^/]+)\/telemetry$/,
        run: ([id], _body, query) => {
          const d = device(id!)
          const raw = query.get('limit')
          if (raw !== null && !/^\d{1,9}$/.test(raw))
            throw new HttpError(400, 'bad-request', 'limit: a whole number of messages')
          const limit = raw === null ? undefined : Number(raw)
          return new RawJson(
            `{"messages":${d.telemetry.listJson(limit)},"stats":${JSON.stringify(d.telemetry.stats())},"conformance":${JSON.stringify(state.conformance(d))}}`,
          )
        },
      },
      {
        method: 'POST',
        pattern: /^\/devices\/([^/]+)\/methods$/,
        run: async ([id], body) => {
          const req = parse(methodBody, body)
          const d = device(id!)
          if (Buffer.byteLength(JSON.stringify(req.payload ?? null)) > limits.methodPayloadBytes)
            throw new HttpError(
              413,
              'payload-too-large',
              `A method payload may be at most ${limits.methodPayloadBytes / 1024} KB.`,
            )
          const hub = d.connectedTo ? hubs[d.connectedTo] : hubs[d.assignedHub]
          return hub.invokeMethod(
            d.deviceId,
            req.methodName,
            req.payload,
            req.responseTimeoutInSeconds ?? 30,
          )
        },
      },
      {
        method: 'POST',
        pattern: /^\/devices\/([^/]+)\/c2d$/,
        run: ([id], body) => {
          const req = parse(c2dBody, body)
          const d = device(id!)
          // null: a command with no payload, sent with an empty body.
          const text =
            req.body === null
              ? ''
              : typeof req.body === 'string'
                ? req.body
                : JSON.stringify(req.body)
          const m = limited(() => state.enqueueC2d(d, text, req.properties ?? {}))
          return { messageId: m.messageId, state: m.state }
        },
      },
      {
        method: 'PATCH',
        pattern: /^\/devices\/([^/]+)\/twin\/desired$/,
        run: ([id], body) => {
          // Checked by hand rather than by a schema, which would rebuild the object and lose a
          // property named __proto__ (legal in a twin).
          if (
            !body ||
            typeof body !== 'object' ||
            Array.isArray(body) ||
            Object.keys(body).length === 0
          )
            throw new HttpError(400, 'bad-request', 'give a JSON object with at least one property')
          const patch = body as Record<string, unknown>
          const d = device(id!)
          return { desired: limited(() => state.patchDesired(d, patch)) }
        },
      },
      {
        method: 'POST',
        pattern: /^\/devices\/([^/]+)\/watch$/,
        run: ([id], body) => {
          const { forSec } = parse(watchBody, body)
          const d = device(id!)
          if (!wire.watch(d.deviceId, (forSec ?? 3600) * 1000))
            throw new HttpError(
              429,
              'too-many-watched',
              `The lab already watches ${wire.size} devices (at most 16 at once): end an exam, or DELETE /devices/{id}/watch.`,
            )
          return { deviceId: d.deviceId, watching: true, until: iso(wire.until(d.deviceId)) }
        },
      },
      {
        method: 'DELETE',
        pattern: /^\/devices\/([^/]+)\/watch$/,
        run: ([id]) => ({ deviceId: id!, watching: false, was: wire.unwatch(id!) }),
      },
      {
        method: 'GET',
        pattern: /^\/devices\/([^/]+)\/wire$/,
        run: ([id], _body, query) => {
          const num = (name: string, max: number) => {
            const raw = query.get(name)
            if (raw === null || raw === '') return undefined
            if (!/^\d{1,15}$/.test(raw) || Number(raw) > max)
              throw new HttpError(400, 'bad-request', `${name}: a whole number up to ${max}`)
            return Number(raw)
          }
          const since = num('since', 8_640_000_000_000)
          const after = num('after', Number.MAX_SAFE_INTEGER)
          const limit = num('limit', wirePageLimit) ?? wirePageLimit
          const page = wire.read(id!, { since, after, limit: Math.max(1, limit) })
          if (!page)
            throw new HttpError(
              404,
              'not-watched',
              `The lab is not watching "${id!.slice(0, 100)}": POST /devices/{id}/watch first.`,
            )
          return { deviceId: id!, ...page }
        },
      },
      {
        method: 'POST',
        pattern: /^\/devices\/([^/]+)\/rehome$/,
        run: ([id], body) => {
          const { hub } = parse(rehomeBody, body)
          device(id!)
          return state.rehome(id!, hub)
        },
      },
      {
        method: 'GET',
        pattern: /^\/models$/,
        run: () => ({ models: state.templates.list() }),
      },
      {
        method: 'GET',
        pattern: /^\/models\/([^/]+)$/,
        run: ([dtmi]) => {
          const model = state.templates.get(dtmi!)
          if (!model)
            throw new HttpError(
              404,
              'model-not-found',
              `the lab has no template for ${dtmi!.slice(0, 200)} (lizard model add <file>)`,
            )
          return { model }
        },
      },
      {
        method: 'POST',
        pattern: /^\/models$/,
        maxBody: limits.modelsBodyBytes,
        run: (_m, body) => {
          const { documents } = parse(modelsBody, body)
          const r = state.templates.add(documents)
          if (!r.ok) {
            // Each report has its own (bounded) list; this one is for a reader in a hurry.
            const problems = r.reports.flatMap((x) => x.problems).slice(0, 500)
            throw r.full
              ? new HttpError(413, 'too-many-templates', r.message)
              : new HttpError(400, 'model-not-loaded', r.message, {
                  problems,
                  reports: r.reports,
                })
          }
          for (const x of r.reports) ctx.log(`templates: ${x.modelId ?? '?'} from ${x.source}`)
          return r.reports
        },
      },
      {
        method: 'GET',
        pattern: /^\/hubs$/,
        run: () => ({ a: hubControl.view('a'), b: hubControl.view('b') }),
      },
      {
        method: 'GET',
        pattern: /^\/hubs\/([^/]+)$/,
        run: ([name]) => hubControl.view(hubName(name!)),
      },
      {
        method: 'POST',
        pattern: /^\/hubs\/([^/]+)\/(kill|blackhole)$/,
        run: ([name, action], body) =>
          hubControl.down(hubName(name!), action as 'kill' | 'blackhole', parse(downBody, body)),
      },
      {
        method: 'POST',
        pattern: /^\/hubs\/([^/]+)\/restore$/,
        run: ([name], body) => hubControl.restore(hubName(name!), parse(restoreBody, body)),
      },
      {
        method: 'POST',
        pattern: /^\/hubs\/([^/]+)\/outage$/,
        run: ([name], body) => {
          const hub = hubName(name!)
          const o = parse(outageBody, body)
          return hubControl.outage(hub, {
            ...o,
            for: o.for ?? defaultOutageSec,
            mode: o.mode ?? 'kill',
          })
        },
      },
      {
        method: 'POST',
        pattern: /^\/dps\/(throttle|stop|restore)$/,
        run: async ([action], body) => {
          const { retryAfter } = parse(throttleBody, body)
          await dps.setMode(
            action === 'throttle' ? 'throttled' : action === 'stop' ? 'stopped' : 'up',
            retryAfter,
          )
          return {
            mode: dps.mode,
            ...(dps.mode === 'throttled' ? { retryAfter: dps.throttleRetryAfterSec } : {}),
          }
        },
      },
      { method: 'GET', pattern: /^\/quotas$/, run: () => quotas.view() },
      {
        method: 'PUT',
        pattern: /^\/quotas$/,
        run: (_m, body) => {
          const before = quotas.view()
          const after = quotas.set(parse(quotaPatch, body))
          ctx.log(`quotas: ${quotaWords(before)} → ${quotaWords(after)}`)
          return after
        },
      },
      {
        method: 'GET',
        pattern: /^\/stats$/,
        run: () => ({
          ...quotas.stats(),
          devices: state.devices.size,
          homeHubs: state.homeSplit(),
          connected: { a: hubs.a.connectedCount, b: hubs.b.connectedCount },
        }),
      },
      {
        method: 'POST',
        pattern: /^\/dps\/drop-after-connack$/,
        run: (_m, body) => {
          dps.dropAfterConnack = parse(dropBody, body).count ?? 1
          return { dropAfterConnack: dps.dropAfterConnack }
        },
      },
    ]

    function summary(d: DeviceRecord) {
      const placement = state.placement(d)
      return {
        deviceId: d.deviceId,
        homeHub: d.homeHub,
        assignedHub: d.assignedHub,
        failedOverUntil: state.isFailedOver(d) ? new Date(d.failedOverUntil!).toISOString() : null,
        connectedTo: d.connectedTo,
        telemetryCount: d.telemetry.count,
        dpsRegistrations: d.dpsRegistrations,
        /** Where DPS would send the device now, and why. */
        dpsAssigns: placement.hub,
        dpsReason: d.rehoming ? 'rehoming' : placement.why,
        /** The model-id of its hub connection, and its findings against that template. */
        modelId: d.conformance.modelId,
        /** The model id its latest DPS registration's payload named (iotcModelId / modelId). */
        dpsModelId: dps.payloadModelId(d.deviceId) ?? null,
        findings: state.conformance(d).template === 'checked' ? d.conformance.findingCount : null,
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
        server.on('error', (e) => this.log(`control API: ${e.message}`))
        this.port = (server.address() as { port: number }).port
        resolve(this.port)
      })
    })
  }

  private async serve(req: IncomingMessage, res: ServerResponse): Promise<void> {
    req.on('error', () => {})
    res.on('error', () => {})
    try {
      const refused = localOnlyRefusal(req, this.port)
      if (refused) {
        req.resume()
        throw new HttpError(refused.status, refused.code, refused.message)
      }
      const url = parseUrl(req.url)
      const path = url.pathname.replace(/\/+$/, '') || '/'
      const candidates = this.routes.filter((r) => r.pattern.test(path))
      if (candidates.length === 0)
        throw new HttpError(
          404,
          'not-found',
          `No such endpoint: ${req.method} ${path.slice(0, 200)}`,
        )
      const route = candidates.find((r) => r.method === req.method)
      if (!route)
        throw new HttpError(
          405,
          'method-not-allowed',
          `${path.slice(0, 200)} takes ${candidates.map((r) => r.method).join(', ')}`,
        )
      const m = route.pattern.exec(path)!.slice(1).map(decodePathPart)
      const body = await readJson(req, route.maxBody ?? limits.controlBodyBytes)
      send(res, 200, await route.run(m, body, url.searchParams))
    } catch (e) {
      if (e instanceof HttpError)
        return send(res, e.status, { error: { code: e.code, message: e.message, ...e.details } })
      this.log(
        `control API ${req.method} ${(req.url ?? '').slice(0, 200)}: fault contained (${faultText(e)})`,
      )
      send(res, 500, { error: { code: 'internal', message: faultText(e) } })
    }
  }

  close(): Promise<void> {
    const server = this.server
    if (!server) return Promise.resolve()
    server.closeAllConnections()
    return new Promise((resolve) => server.close(() => resolve()))
  }
}

const iso = (ms: number | null) => (ms === null ? null : new Date(ms).toISOString())

function quotaWords(q: ReturnType<Quotas['view']>): string {
  const off = (n: number, unit: string) => (n === 0 ? 'off' : `${n}${unit}`)
  return `DPS ${off(q.dpsRate, '/min')} (burst ${q.dpsBurstInForce ?? '-'}), polls ${off(q.pollLimit, '/10 s')}, hub connects ${off(q.hubConnectRate, '/s')}`
}

function parseUrl(raw: string | undefined): URL {
  try {
    return new URL(raw ?? '/', 'http://127.0.0.1')
  } catch {
    throw new HttpError(400, 'bad-path', 'the request path is not a valid URL')
  }
}

function decodePathPart(s: string): string {
  try {
    return decodeURIComponent(s)
  } catch {
    throw new HttpError(400, 'bad-path', `"${s.slice(0, 100)}" is not valid percent-encoding`)
  }
}

function send(res: ServerResponse, status: number, body: unknown): void {
  if (res.headersSent) return void res.end()
  const text = contain(
    () => {},
    'control API reply',
    () => (body instanceof RawJson ? body.text : JSON.stringify(body ?? null)),
    () =>
      JSON.stringify({
        error: { code: 'internal', message: 'the answer could not be serialized' },
      }),
  )
  // No Access-Control-Allow-Origin: no web page may read what the lab answers.
  res.writeHead(status, {
    'content-type': 'application/json; charset=utf-8',
    'content-length': Buffer.byteLength(text),
  })
  res.end(text)
}

function readJson(req: IncomingMessage, maxBytes: number): Promise<unknown> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = []
    let size = 0
    req.on('data', (c: Buffer) => {
      size += c.length
      if (size > maxBytes) {
        reject(new HttpError(413, 'too-large', `request body over ${maxBytes / 1024 / 1024} MiB`))
        // Read the rest away instead of cutting the socket, so the client gets the 413 answer.
        req.removeAllListeners('data')
        req.resume()
      } else chunks.push(c)
    })
    // A client that hangs up mid-body is not a fault of the lab's.
    req.on('error', () => reject(new HttpError(400, 'cut-off', 'the request body was cut off')))
    req.on('end', () => {
      const text = Buffer.concat(chunks).toString('utf8').trim()
      if (!text) return resolve(undefined)
      const parsed = parseJsonBounded(text, limits.jsonDepth)
      if (parsed.ok) return resolve(parsed.value)
      reject(
        parsed.reason === 'depth'
          ? new HttpError(
              400,
              'too-deep',
              `the request body nests deeper than ${limits.jsonDepth} levels`,
            )
          : new HttpError(400, 'bad-json', 'the request body is not valid JSON'),
      )
    })
  })
}
