import { loadModel, modelReport } from '../shared/dtdl/parse'
import { modelLimits } from '../shared/dtdl/limits'
import type { DeviceModel, ModelDocument, ModelLoad, ModelReport } from '../shared/dtdl/types'
import { parseJsonBounded } from './json'
import { limits } from './limits'

// Device templates as the lab and `lizard model check` take them: every document given is a
// template in its own right, and what one references is found among the others first, then in
// the models folders. (A component's interface is a template too: a device may be built on it.)

export type Resolver = (dtmi: string) => ModelDocument | null

export interface TemplateLoad {
  doc: ModelDocument
  /** The interface ids the document defines at its top level (one, or an export's array). */
  ids: string[]
  load: ModelLoad
  report: ModelReport
}

/** The top-level `@id`s of a document; none when it is not JSON, or nests past the model limit. */
export function documentIds(doc: ModelDocument): string[] {
  const parsed = parseJsonBounded(doc.text, modelLimits.jsonDepth)
  if (!parsed.ok) return []
  const tops = Array.isArray(parsed.value) ? parsed.value : [parsed.value]
  const ids: string[] = []
  for (const t of tops) {
    const id = t && typeof t === 'object' ? (t as Record<string, unknown>)['@id'] : undefined
    if (typeof id === 'string') ids.push(id)
  }
  return ids
}

/** Loads each document as a template; references resolve from the others, then `resolvers` in order. */
export function loadTemplates(docs: ModelDocument[], resolvers: Resolver[] = []): TemplateLoad[] {
  const ids = docs.map(documentIds)
  const byId = new Map<string, ModelDocument>()
  docs.forEach((d, i) => {
    for (const id of ids[i]!) if (!byId.has(id)) byId.set(id, d)
  })
  const resolve = (dtmi: string): ModelDocument | null => {
    const given = byId.get(dtmi)
    if (given) return given
    for (const r of resolvers) {
      const found = r(dtmi)
      if (found) return found
    }
    return null
  }
  return docs.map((doc, i) => {
    const load = loadModel([doc], { resolve })
    return { doc, ids: ids[i]!, load, report: modelReport(load, doc.name) }
  })
}

export interface KnownTemplate {
  modelId: string
  displayName: string
  source: string
}

interface Kept {
  model: DeviceModel
  doc: ModelDocument
  ids: string[]
}

const missesKept = 1000
const missRetryMs = 10_000

export type AddResult =
  | { ok: true; reports: ModelReport[] }
  | { ok: false; reports: ModelReport[]; message: string; full?: true }

/**
 * The templates a lab knows, by DTMI. Bounded (limits.templateDocuments, templateChars): a
 * document with a known DTMI replaces the one before it, so giving the same files again costs
 * nothing more.
 */
export class TemplateRegistry {
  private kept = new Map<string, Kept>()
  /** Every top-level id of every kept document, to resolve later templates against. */
  private byId = new Map<string, ModelDocument>()
  private readonly folders: Resolver[] = []
  /** DTMIs the folders had no template for, and when to look again. */
  private readonly misses = new Map<string, number>()

  constructor(
    private readonly log: (line: string) => void = () => {},
    private readonly now: () => number = Date.now,
  ) {}

  get(dtmi: string): DeviceModel | undefined {
    const kept = this.kept.get(dtmi)
    if (kept || this.folders.length === 0) return kept?.model
    return this.fromFolders(dtmi)
  }

  /**
   * A template a device names and nobody gave: looked up in the models folders (repository
   * layout), so a lab pointed at a whole models repository reads only what its devices use. This
   * runs per message, so a miss is remembered for a while rather than read from disk again.
   */
  private fromFolders(dtmi: string): DeviceModel | undefined {
    const retryAt = this.misses.get(dtmi)
    if (retryAt !== undefined && retryAt > this.now()) return undefined
    let doc: ModelDocument | null = null
    for (const r of this.folders) if ((doc = r(dtmi))) break
    if (doc) {
      const r = this.add([doc])
      const model = this.kept.get(dtmi)?.model
      if (model) {
        this.misses.delete(dtmi)
        this.log(`templates: ${dtmi} from ${doc.name}, named by a device`)
        return model
      }
      const first = r.reports[0]?.problems[0]
      this.log(
        `templates: ${doc.name}, named by a device as ${dtmi}, ${
          r.ok
            ? `defines ${r.reports[0]?.modelId} instead`
            : `does not load (${first?.path || 'file'}: ${first?.message ?? (r.ok ? '' : r.message)})`
        }`,
      )
    }
    if (this.misses.size >= missesKept) this.misses.clear()
    this.misses.set(dtmi, this.now() + missRetryMs)
    return undefined
  }

  list(): KnownTemplate[] {
    return [...this.kept.values()].map((k) => ({
      modelId: k.model.id,
      displayName: k.model.displayName,
      source: k.doc.name,
    }))
  }

  /** Also looks in this folder (models repository layout) for what later templates reference. */
  addResolver(r: Resolver): void {
    this.folders.push(r)
  }

  /**
   * Loads every document as a template. `all`: refused as a whole (nothing kept) when one does
   * not load; otherwise the ones that load are kept and the reports say which did not.
   */
  add(docs: ModelDocument[], mode: 'all' | 'each' = 'all'): AddResult {
    const results = loadTemplates(docs, [(id) => this.byId.get(id) ?? null, ...this.folders])
    const reports = results.map((r) => r.report)
    const failed = results.filter((r) => !r.load.ok)
    if (mode === 'all' && failed.length > 0)
      return {
        ok: false,
        reports,
        message: `${failed.map((r) => r.doc.name).join(', ')} did not load; nothing was kept`,
      }
    const next = new Map(this.kept)
    for (const r of results)
      if (r.load.ok) next.set(r.load.model.id, { model: r.load.model, doc: r.doc, ids: r.ids })
    const chars = [...next.values()].reduce((n, k) => n + k.doc.text.length, 0)
    if (next.size > limits.templateDocuments || chars > limits.templateChars)
      return {
        ok: false,
        full: true,
        reports,
        message: `the lab keeps at most ${limits.templateDocuments} templates and ${limits.templateChars / 1024 / 1024} MiB of them; nothing was kept`,
      }
    this.kept = next
    this.byId = new Map()
    for (const k of next.values()) for (const id of k.ids) this.byId.set(id, k.doc)
    return failed.length > 0
      ? { ok: false, reports, message: `${failed.map((r) => r.doc.name).join(', ')} did not load` }
      : { ok: true, reports }
  }
}
