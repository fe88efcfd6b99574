import { existsSync, readFileSync, readdirSync, statSync } from 'node:fs'
import { join, relative } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { sourceFor } from '../../electron/device/behaviour/generate'
import {
  checkValue,
  commandWireName,
  dtmiPath,
  loadModel,
  type DeviceModel,
  type ModelDocument,
} from '../../shared/dtdl'
import type { InboundEntry } from '../../shared/domain'
import { api, testLab, waitFor } from '../support/lab'
import { newSession } from './fixtures/engine'

// Every real template in the corpus, round trip: it loads, a device running it connects to the
// lab, its traffic has nothing the lab (checking as IoT Central would) objects to, a writable
// property is set and acknowledged, and every command is invoked and answered.

const corpus = join(import.meta.dirname, '../fixtures/models')
const repo = join(corpus, 'repo')

function jsonFiles(dir: string): string[] {
  return readdirSync(dir)
    .sort()
    .flatMap((n) => {
      const p = join(dir, n)
      return statSync(p).isDirectory() ? jsonFiles(p) : p.endsWith('.json') ? [p] : []
    })
}

/** A template and the files its references resolved to: what a user hands the app. */
function load(file: string): { model: DeviceModel; documents: ModelDocument[] } | null {
  const documents: ModelDocument[] = [
    { name: relative(corpus, file), text: readFileSync(file, 'utf8') },
  ]
  const r = loadModel(documents, {
    resolve: (id) => {
      const f = join(repo, dtmiPath(id))
      if (!existsSync(f)) return null
      const doc = { name: dtmiPath(id), text: readFileSync(f, 'utf8') }
      documents.push(doc)
      return doc
    },
  })
  return r.ok ? { model: r.model, documents } : null
}

const templates = [...jsonFiles(repo), ...jsonFiles(join(corpus, 'templates'))]
  .map((f) => ({ name: relative(corpus, f), loaded: load(f) }))
  .filter((t) => t.loaded !== null)
  .map((t) => ({ name: t.name, ...t.loaded! }))

let lab: Awaited<ReturnType<typeof testLab>>

/**
 * npm test checks a few periods of each template's traffic (the smallest run that shows it);
 * `CORPUS_TRAFFIC_SECONDS=60 npx vitest run tests/integration/model-corpus.test.ts` gives every
 * template a minute of traffic, all devices at once.
 */
const trafficSeconds = Number(process.env.CORPUS_TRAFFIC_SECONDS ?? 0) || 0
const batchSize = trafficSeconds > 0 ? 100 : 6

/**
 * The lab keeps one template per DTMI, as IoT Central does, and two corpus files give one DTMI
 * different contents (the DTDL v3 spec's thermostat and the models repository's): each pass
 * holds at most one template per DTMI, and gives the lab its own before it runs.
 */
function passes(): (typeof templates)[] {
  const out: (typeof templates)[] = []
  for (const t of templates) {
    const pass = out.find((p) => !p.some((x) => x.model.id === t.model.id))
    if (pass) pass.push(t)
    else out.push([t])
  }
  return out
}

beforeAll(async () => {
  lab = await testLab()
}, 60_000)

afterAll(async () => {
  await lab?.stop()
})

interface Twin {
  twin: { reported: Record<string, unknown> }
  conformance: { template: string; checked: number; findings: number; recent: unknown[] }
}

/** The value a writable property gets: one its generator makes, so it fits its schema. */
function writableEdit(model: DeviceModel) {
  const p = model.properties.find((x) => x.writable)
  if (!p) return null
  const value = sourceFor(p.schema, p, Math.random).next()
  const patch = p.component ? { [p.component]: { __t: 'c', [p.name]: value } } : { [p.name]: value }
  return { p, value, patch }
}

async function roundTrip(t: (typeof templates)[number], index: number) {
  const deviceId = `corpus-${index}`
  const device = newSession(lab, deviceId, {
    model: t.model,
    modelId: t.model.id,
    periods: { telemetryMs: 100, reportedMs: 200 },
  })
  try {
    await device.session.connect()
    await waitFor(
      `${t.name}: connected`,
      () => device.session.snapshot().state.kind === 'connected',
    )

    const edit = writableEdit(t.model)
    if (edit) {
      await api(lab, 'PATCH', `/devices/${deviceId}/twin/desired`, edit.patch)
      await waitFor(`${t.name}: ${edit.p.name} acknowledged`, async () => {
        const d = await api<Twin>(lab, 'GET', `/devices/${deviceId}`)
        const reported = d.body.twin.reported
        const holder = (edit.p.component ? reported[edit.p.component] : reported) as
          Record<string, { ac?: number; value?: unknown }> | undefined
        const ack = holder?.[edit.p.name]
        return ack?.ac === 200 && JSON.stringify(ack.value) === JSON.stringify(edit.value)
      })
    }

    for (const c of t.model.commands) {
      const name = commandWireName(c)
      const payload = c.request ? sourceFor(c.request.schema, c.request, Math.random).next() : null
      if (c.durable) {
        await api(lab, 'POST', `/devices/${deviceId}/c2d`, {
          body: payload,
          properties: { 'method-name': name },
        })
        await waitFor(`${t.name}: ${name} completed`, () =>
          device.session
            .inbound()
            .some((e: InboundEntry) => e.name === name && e.response.outcome === 'completed'),
        )
        continue
      }
      const r = await api<{ status: number; payload: unknown }>(
        lab,
        'POST',
        `/devices/${deviceId}/methods`,
        { methodName: name, payload, responseTimeoutInSeconds: 10 },
      )
      expect(r.body.status, `${t.name}: ${name} answered`).toBe(200)
      if (c.response) expect(checkValue(r.body.payload, c.response.schema), name).toBeNull()
    }

    // Enough traffic that every telemetry message and reported patch has been seen a few times.
    const sends = t.model.telemetry.length > 0 || t.model.properties.some((p) => !p.writable)
    const until = Date.now() + trafficSeconds * 1000
    const seen = await waitFor(
      `${t.name}: traffic checked`,
      async () => {
        const d = await api<Twin>(lab, 'GET', `/devices/${deviceId}`)
        const c = d.body.conformance
        return c.template === 'checked' && (!sends || c.checked >= 8) && Date.now() >= until
          ? c
          : null
      },
      trafficSeconds * 1000 + 15_000,
      200,
    )
    return seen
  } finally {
    await device.dispose()
  }
}

describe('the template corpus, round trip against the lab', () => {
  it('has the templates it is meant to (all but the three refused for a stated reason)', () => {
    expect(templates.length).toBeGreaterThanOrEqual(50)
  })

  it(
    'every template: connects, nothing for IoT Central to object to, a writable property acknowledged, every command answered',
    async () => {
      const findings: Record<string, unknown[]> = {}
      let index = 0
      for (const pass of passes()) {
        for (const t of pass) {
          const r = await api(lab, 'POST', '/models', { documents: t.documents })
          expect(r.status, t.name).toBe(200)
        }
        // A few devices at a time: the lab and the engine share two cores with the other suites.
        for (let i = 0; i < pass.length; i += batchSize) {
          const batch = pass.slice(i, i + batchSize)
          const results = await Promise.all(batch.map((t) => roundTrip(t, index++)))
          results.forEach((c, j) => {
            if (c.findings > 0) findings[batch[j]!.name] = c.recent
          })
        }
      }
      expect(findings).toEqual({})
    },
    240_000 + trafficSeconds * 3000,
  )
})
