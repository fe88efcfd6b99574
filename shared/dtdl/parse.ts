import { nestsDeeperThan } from '../json-depth'
import { modelLimits as L } from './limits'
import { label } from './text'
import {
  primitiveSchemas,
  v3OnlyPrimitives,
  type Aside,
  type CommandDef,
  type CommandPayload,
  type ComponentDef,
  type DeviceModel,
  type EnumValue,
  type Field,
  type ModelDocument,
  type ModelLoad,
  type ModelProblem,
  type ModelReport,
  type PrimitiveSchema,
  type PropertyDef,
  type Schema,
  type TelemetryDef,
} from './types'

// A focused DTDL reader for device templates: v2 and v3, IoT Central's context and exports
// (arrays of interfaces), components, extends, reusable schemas, semantic types with units.
// Microsoft's @azure/dtdl-parser is a v2-only beta, so it cannot read v3 or IoT Central's
// additions (geopoint, vector, durable commands, cloud properties) as one structure; this reads
// only what a device needs and says, with the place in the file, everything it refuses.

export interface LoadOptions {
  /** Asked for a DTMI no given document defines: a models folder in the repository layout. */
  resolve?: (dtmi: string) => ModelDocument | null
}

type Json = Record<string, unknown>
const isObject = (v: unknown): v is Json => typeof v === 'object' && v !== null && !Array.isArray(v)

const dtmiRe =
  /^dtmi:[A-Za-z](?:[A-Za-z0-9_]*[A-Za-z0-9])?(?::[A-Za-z_](?:[A-Za-z0-9_]*[A-Za-z0-9])?)*(?:;[1-9][0-9]{0,8}(?:\.[1-9][0-9]{0,5})?)?$/
const nameRe = /^[A-Za-z](?:[A-Za-z0-9_]*[A-Za-z0-9])?$/

/** The models repository's path for a DTMI: dtmi:com:example:Thermostat;1 → dtmi/com/example/thermostat-1.json. */
export function dtmiPath(dtmi: string): string {
  return `${dtmi.toLowerCase().replace(/:/g, '/').replace(/;/g, '-')}.json`
}

const contentKinds = ['Telemetry', 'Property', 'Command', 'Relationship', 'Component'] as const
type ContentKind = (typeof contentKinds)[number]

/** IoT Central's own schemas, by short name and DTMI. */
const centralSchemas: Record<string, Schema> = {
  geopoint: { kind: 'geopoint' },
  vector: { kind: 'vector' },
  point: { kind: 'point' },
}
const centralSchemaDtmi =
  /^dtmi:(?:iotcentral:schema|standard:schema:geospatial):(geopoint|vector|point);[0-9]+$/
/** DTDL v2's other geospatial schemas: parsed, not generated. */
const geospatialOthers = new Set([
  'lineString',
  'multiPoint',
  'multiLineString',
  'polygon',
  'multiPolygon',
])

interface IfaceEntry {
  json: Json
  file: string
  path: string
  version: 2 | 3
}

interface SchemaEntry {
  json: unknown
  file: string
  path: string
  version: 2 | 3
}

class Problems {
  readonly list: ModelProblem[] = []
  add(file: string, path: string, message: string): void {
    if (this.list.length < 500) this.list.push({ file, path, message })
  }
}

/** Thrown for what ends a load at once (too large, a cycle): the rest is not worth reading. */
class Refusal extends Error {}

class Reader {
  private readonly interfaces = new Map<string, IfaceEntry>()
  private readonly schemas = new Map<string, SchemaEntry>()
  private readonly resolved = new Set<string>()
  private readonly fetched = new Map<string, { name: string; defines: string[] }>()
  readonly problems = new Problems()
  readonly warnings = new Problems()
  private elements = 0

  constructor(private readonly resolve?: (dtmi: string) => ModelDocument | null) {}

  /** Reads one document; returns the interfaces it defines at its top level, in order. */
  addDocument(doc: ModelDocument): string[] {
    if (doc.text.length > L.fileChars)
      throw this.refuse(
        doc.name,
        '',
        `the file is larger than 1 MiB (${doc.text.length} characters)`,
      )
    let json: unknown
    try {
      json = JSON.parse(doc.text)
    } catch (e) {
      throw this.refuse(doc.name, '', `not JSON: ${(e as Error).message}`)
    }
    if (nestsDeeperThan(json, L.jsonDepth))
      throw this.refuse(
        doc.name,
        '',
        `nested deeper than ${L.jsonDepth} levels: not a device template`,
      )
    const roots = Array.isArray(json) ? json : [json]
    const top: string[] = []
    roots.forEach((r, i) => {
      const path = Array.isArray(json) ? `[${i}]` : ''
      if (!isObject(r))
        return this.problems.add(doc.name, path, 'expected an interface (a JSON object)')
      if ('capabilityModel' in r || r['@type'] === 'CapabilityModel')
        return this.problems.add(doc.name, path, v1Refusal)
      const version = this.versionOf(r, doc.name, path)
      if (version === null) return
      const id = this.index(r, doc.name, path, version)
      if (id) top.push(id)
    })
    return top
  }

  private refuse(file: string, path: string, message: string): Refusal {
    this.problems.add(file, path, message)
    return new Refusal(message)
  }

  private versionOf(r: Json, file: string, path: string, inherited?: 2 | 3): 2 | 3 | null {
    const ctx = r['@context']
    if (ctx === undefined) {
      if (inherited) return inherited
      this.problems.add(file, at(path, '@context'), 'missing: give "dtmi:dtdl:context;2" or ";3"')
      return null
    }
    const list = Array.isArray(ctx) ? ctx : [ctx]
    if (list.some((c) => typeof c === 'string' && /azureiot\.com\/v1\/contexts/i.test(c))) {
      this.problems.add(file, at(path, '@context'), v1Refusal)
      return null
    }
    let version: 2 | 3 | null = null
    for (const c of list) {
      if (c === 'dtmi:dtdl:context;2') version = 2
      else if (c === 'dtmi:dtdl:context;3') version = 3
      else if (typeof c !== 'string')
        this.problems.add(file, at(path, '@context'), 'each context is a DTMI string')
      else if (!/^dtmi:(iotcentral:context|dtdl:extension:[A-Za-z]+);[0-9]+$/.test(c))
        this.warnings.add(
          file,
          at(path, '@context'),
          `unknown context ${c}: its terms are not emulated`,
        )
    }
    if (version === null) {
      this.problems.add(
        file,
        at(path, '@context'),
        'no DTDL context: give "dtmi:dtdl:context;2" or "dtmi:dtdl:context;3"',
      )
    }
    return version
  }

  /** Indexes an interface and what it defines inside (inline components, extends, schemas). */
  private index(r: Json, file: string, path: string, version: 2 | 3): string | null {
    const id = r['@id']
    // IoT Central marks some interfaces with more types: ["Interface", "NamedInterface"].
    if (!isInterfaceType(r['@type'])) {
      this.problems.add(file, at(path, '@type'), `expected "Interface", got ${show(r['@type'])}`)
      return null
    }
    if (typeof id !== 'string' || !dtmiRe.test(id)) {
      this.problems.add(
        file,
        at(path, '@id'),
        `${show(id)} is not a DTMI (dtmi:com:example:Thing;1)`,
      )
      return null
    }
    // DTDL v2 needs a whole version on an interface; v3 allows none or a minor one (;1.2).
    if (version === 2 && !/;[1-9][0-9]{0,8}$/.test(id)) {
      this.problems.add(
        file,
        at(path, '@id'),
        `${show(id)} is not a DTMI in DTDL v2: it needs a whole version such as ;1 (minor versions need v3)`,
      )
      return null
    }
    if (this.interfaces.has(id)) {
      const first = this.interfaces.get(id)!
      if (first.file !== file || first.path !== path)
        this.warnings.add(
          file,
          at(path, '@id'),
          `${id} is defined again (the first, in ${first.file}, is used)`,
        )
      return id
    }
    this.interfaces.set(id, { json: r, file, path, version })
    const schemas = r['schemas']
    if (Array.isArray(schemas))
      schemas.forEach((s, i) => {
        const sid = isObject(s) ? s['@id'] : undefined
        if (typeof sid !== 'string' || !dtmiRe.test(sid))
          this.problems.add(
            file,
            `${at(path, 'schemas')}[${i}].@id`,
            'a reusable schema needs a DTMI @id',
          )
        else this.schemas.set(sid, { json: s, file, path: `${at(path, 'schemas')}[${i}]`, version })
      })
    const ext = r['extends']
    const exts = Array.isArray(ext) ? ext : ext === undefined ? [] : [ext]
    exts.forEach((e, i) => {
      if (isObject(e))
        this.index(
          e,
          file,
          Array.isArray(ext) ? `${at(path, 'extends')}[${i}]` : at(path, 'extends'),
          this.versionOf(e, file, path, version) ?? version,
        )
    })
    const contents = r['contents']
    if (Array.isArray(contents))
      contents.forEach((c, i) => {
        if (isObject(c) && isObject(c['schema']) && isInterfaceType(c['schema']['@type']))
          this.index(
            c['schema'],
            file,
            `${at(path, 'contents')}[${i}].schema`,
            this.versionOf(c['schema'], file, path, version) ?? version,
          )
      })
    return id
  }

  /** An interface by DTMI: given, or from the models folder. */
  private find(id: string): IfaceEntry | null {
    const known = this.interfaces.get(id)
    if (known) return known
    this.fetch(id)
    return this.interfaces.get(id) ?? null
  }

  private fetch(id: string): void {
    if (!this.resolve || this.resolved.has(id)) return
    this.resolved.add(id)
    const doc = this.resolve(id)
    if (doc) this.fetched.set(id, { name: doc.name, defines: this.addDocument(doc) })
  }

  /** Why a DTMI was not found, naming what the models folder's file for it defines instead. */
  missing(id: string): string {
    const f = this.fetched.get(id)
    if (f && !f.defines.includes(id))
      return `${id} is not defined: ${f.name} in the models folder defines ${f.defines.join(', ') || 'no interface'} instead (DTMIs are case-sensitive)`
    return missing(id)
  }

  /** The interface the device is: the first one nothing else in the first document uses. */
  rootOf(top: string[]): string | null {
    const used = new Set<string>()
    for (const id of top) {
      const e = this.interfaces.get(id)!
      for (const ref of references(e.json)) used.add(ref)
    }
    return top.find((id) => !used.has(id)) ?? top[0] ?? null
  }

  /** Whether the interface `id` is reached from `from` through its components or extends. */
  uses(from: string, id: string, seen = new Set<string>()): boolean {
    if (seen.has(from)) return false
    seen.add(from)
    const e = this.interfaces.get(from)
    if (!e) return false
    return references(e.json).some((r) => r === id || this.uses(r, id, seen))
  }

  pathOf(id: string): string {
    return this.interfaces.get(id)?.path ?? ''
  }

  build(rootId: string): DeviceModel {
    const root = this.interfaces.get(rootId)!
    const model: DeviceModel = {
      id: rootId,
      displayName: label(root.json['displayName'], rootId),
      ...(description(root.json) ? { description: description(root.json)! } : {}),
      dtdlVersion: root.version,
      components: [],
      telemetry: [],
      properties: [],
      commands: [],
      leftToCloud: [],
      notEmulated: [],
    }
    const contents = once(this.contentsOf(root, []))
    const names = new Map<string, string>()
    for (const c of contents) {
      this.unique(names, c, root)
      if (c.kind !== 'Component') {
        this.element(model, c, null)
        continue
      }
      const comp = this.component(c)
      if (!comp) continue
      model.components.push(comp.def)
      const inner = new Map<string, string>()
      for (const ic of once(this.contentsOf(comp.iface, []))) {
        this.unique(inner, ic, comp.iface)
        if (ic.kind === 'Component') {
          model.notEmulated.push({
            path: ic.path,
            what: `component ${comp.def.name}/${ic.name}`,
            why: 'a component inside a component: IoT Central and IoT Plug and Play use one level',
          })
          continue
        }
        this.element(model, ic, comp.def.name)
      }
    }
    return model
  }

  private unique(names: Map<string, string>, c: Content, owner: IfaceEntry): void {
    const before = names.get(c.name)
    if (before !== undefined)
      this.problems.add(
        c.file,
        at(c.path, 'name'),
        `"${c.name}" is defined twice in ${owner.json['@id'] as string} (also at ${before})`,
      )
    else names.set(c.name, c.path)
  }

  /** An interface's contents with those of every interface it extends, transitively. */
  private contentsOf(e: IfaceEntry, chain: string[]): Content[] {
    const id = e.json['@id'] as string
    if (chain.includes(id))
      throw this.refuse(
        e.file,
        at(e.path, 'extends'),
        `extends makes a cycle: ${[...chain, id].join(' → ')}`,
      )
    if (chain.length > L.extendsDepth)
      throw this.refuse(
        e.file,
        at(e.path, 'extends'),
        `extends goes deeper than ${L.extendsDepth} levels`,
      )
    const out: Content[] = []
    const ext = e.json['extends']
    const exts = Array.isArray(ext) ? ext : ext === undefined ? [] : [ext]
    // DTDL v2 says two; IoT Central's own templates extend more, and it loads them: warn only.
    if (exts.length > L.extendsMax)
      throw this.refuse(
        e.file,
        at(e.path, 'extends'),
        `extends ${exts.length} interfaces: at most ${L.extendsMax}`,
      )
    if (exts.length > L.extendsPerInterface)
      this.warnings.add(
        e.file,
        at(e.path, 'extends'),
        `extends ${exts.length} interfaces: DTDL allows ${L.extendsPerInterface} (IoT Central accepts more)`,
      )
    exts.forEach((x, i) => {
      const p = Array.isArray(ext) ? `${at(e.path, 'extends')}[${i}]` : at(e.path, 'extends')
      const xid = typeof x === 'string' ? x : isObject(x) ? x['@id'] : undefined
      if (typeof xid !== 'string' || !dtmiRe.test(xid))
        return this.problems.add(
          e.file,
          p,
          'extends names an interface by DTMI or defines it inline',
        )
      const base = this.find(xid)
      if (!base) return this.problems.add(e.file, p, this.missing(xid))
      out.push(...this.contentsOf(base, [...chain, id]))
    })
    const contents = e.json['contents']
    if (contents === undefined) return out
    if (!Array.isArray(contents)) {
      this.problems.add(e.file, at(e.path, 'contents'), 'contents is a list')
      return out
    }
    const max = e.version === 2 ? L.contentsV2 : L.contentsV3
    if (contents.length > max)
      throw this.refuse(
        e.file,
        at(e.path, 'contents'),
        `${contents.length} contents: DTDL v${e.version} allows at most ${max} in one interface`,
      )
    contents.forEach((c, i) => {
      const path = `${at(e.path, 'contents')}[${i}]`
      const content = this.content(c, e, path)
      if (content) out.push(content)
    })
    this.elements += contents.length
    if (this.elements > L.elements)
      throw this.refuse(
        e.file,
        at(e.path, 'contents'),
        `the model has more than ${L.elements} elements once extends and components are followed`,
      )
    return out
  }

  private content(c: unknown, owner: IfaceEntry, path: string): Content | null {
    const file = owner.file
    if (!isObject(c)) {
      this.problems.add(
        file,
        path,
        'expected an object (Telemetry, Property, Command, Relationship or Component)',
      )
      return null
    }
    const types =
      typeof c['@type'] === 'string' ? [c['@type']] : Array.isArray(c['@type']) ? c['@type'] : null
    if (!types || !types.every((t) => typeof t === 'string')) {
      this.problems.add(
        file,
        at(path, '@type'),
        'missing: Telemetry, Property, Command, Relationship or Component',
      )
      return null
    }
    const kinds = types.filter((t): t is ContentKind =>
      (contentKinds as readonly string[]).includes(t),
    )
    if (kinds.length !== 1) {
      this.problems.add(
        file,
        at(path, '@type'),
        kinds.length === 0
          ? `${show(types.join(', '))} is not Telemetry, Property, Command, Relationship or Component`
          : `one kind per element, not ${kinds.join(' and ')}`,
      )
      return null
    }
    const name = c['name']
    const maxName = owner.version === 2 ? L.nameCharsV2 : L.nameCharsV3
    if (typeof name !== 'string' || !nameRe.test(name) || name.length > maxName) {
      this.problems.add(
        file,
        at(path, 'name'),
        typeof name !== 'string'
          ? 'missing: every element has a name'
          : name.length > maxName
            ? `"${name.slice(0, 40)}…" is longer than DTDL v${owner.version}'s ${maxName} characters`
            : `"${name}" is not a DTDL name (a letter, then letters, digits or _, not ending in _)`,
      )
      return null
    }
    // IoT Central adds co-types of its own (NumberValue, Initialized, Cloud…) beside DTDL's
    // semantic type (Temperature…): the semantic type is the one that is not one of those.
    const semantic = types
      .filter((t) => t !== kinds[0])
      .map((t) => t.replace(/^SemanticType\//, ''))
      .sort((a, b) => Number(centralCoType.test(a)) - Number(centralCoType.test(b)))
    return { kind: kinds[0]!, name, json: c, semantic, file, path, owner }
  }

  private component(c: Content): { def: ComponentDef; iface: IfaceEntry } | null {
    const s = c.json['schema']
    const id = typeof s === 'string' ? s : isObject(s) ? s['@id'] : undefined
    if (typeof id !== 'string' || !dtmiRe.test(id)) {
      this.problems.add(
        c.file,
        at(c.path, 'schema'),
        "a component's schema is an interface: its DTMI or the interface itself",
      )
      return null
    }
    const iface = this.find(id)
    if (!iface) {
      this.problems.add(c.file, at(c.path, 'schema'), this.missing(id))
      return null
    }
    return {
      def: { name: c.name, displayName: label(c.json['displayName'], c.name), interfaceId: id },
      iface,
    }
  }

  private element(model: DeviceModel, c: Content, component: string | null): void {
    const base = {
      component,
      name: c.name,
      displayName: label(c.json['displayName'], c.name),
      ...(description(c.json) ? { description: description(c.json)! } : {}),
    }
    const where = component ? `${component}/${c.name}` : c.name
    const v = c.owner.version
    const semantics = {
      ...(c.semantic[0] ? { semanticType: c.semantic[0] } : {}),
      ...(typeof c.json['unit'] === 'string' ? { unit: c.json['unit'] } : {}),
    }
    switch (c.kind) {
      case 'Relationship':
        model.leftToCloud.push({
          path: c.path,
          what: `relationship ${where}`,
          why: 'relationships are kept by the cloud, not sent by the device',
        })
        return
      case 'Telemetry': {
        const schema = this.schema(c.json['schema'], c, at(c.path, 'schema'), 'telemetry')
        if (schema === 'skip') return notGenerated(model, c, where)
        if (schema) model.telemetry.push({ ...base, ...semantics, schema } satisfies TelemetryDef)
        return
      }
      case 'Property': {
        if (c.semantic.includes('Cloud')) {
          model.leftToCloud.push({
            path: c.path,
            what: `cloud property ${where}`,
            why: 'a cloud property is stored by IoT Central, never sent by the device',
          })
          return
        }
        const writable = c.json['writable']
        if (writable !== undefined && typeof writable !== 'boolean')
          this.problems.add(
            c.file,
            at(c.path, 'writable'),
            `expected true or false, got ${show(writable)}`,
          )
        const schema = this.schema(c.json['schema'], c, at(c.path, 'schema'), 'property')
        if (schema === 'skip') return notGenerated(model, c, where)
        if (schema)
          model.properties.push({
            ...base,
            ...semantics,
            schema,
            writable: writable === true,
          } satisfies PropertyDef)
        return
      }
      case 'Command': {
        const durable = c.json['durable']
        const command: CommandDef = { ...base, durable: durable === true }
        for (const part of ['request', 'response'] as const) {
          const p = c.json[part]
          if (p === undefined) continue
          const payload = this.payload(p, c, at(c.path, part), v)
          if (payload === 'skip') return notGenerated(model, c, where)
          if (payload) command[part] = payload
        }
        if (command.durable && command.response)
          this.warnings.add(
            c.file,
            at(c.path, 'response'),
            'a durable command arrives as C2D, which has no response: the response is not sent',
          )
        model.commands.push(command)
        return
      }
      case 'Component':
        return // handled by build()
    }
  }

  private payload(p: unknown, c: Content, path: string, v: 2 | 3): CommandPayload | null | 'skip' {
    if (!isObject(p)) {
      this.problems.add(c.file, path, 'a command payload is an object with a name and a schema')
      return null
    }
    const name = p['name']
    if (typeof name !== 'string' || !nameRe.test(name)) {
      this.problems.add(
        c.file,
        at(path, 'name'),
        typeof name === 'string' ? `"${name}" is not a DTDL name` : 'missing: a payload has a name',
      )
      return null
    }
    const schema = this.schema(p['schema'], c, at(path, 'schema'), 'payload')
    if (schema === 'skip' || schema === null) return schema
    const nullable = p['nullable']
    if (nullable !== undefined && v === 2)
      this.problems.add(
        c.file,
        at(path, 'nullable'),
        'nullable needs DTDL v3 (@context dtmi:dtdl:context;3)',
      )
    return {
      name,
      displayName: label(p['displayName'], name),
      schema,
      ...(nullable === true ? { nullable: true } : {}),
    }
  }

  /** A schema, resolved. 'skip': parsed but not something the device generates. */
  private schema(
    s: unknown,
    c: Content,
    path: string,
    use: 'telemetry' | 'property' | 'payload',
    depth = 0,
    seen: string[] = [],
  ): Schema | null | 'skip' {
    const v = c.owner.version
    const file = c.file
    const maxDepth = v === 2 ? L.schemaDepthV2 : L.schemaDepthV3
    if (depth > maxDepth) {
      this.problems.add(file, path, `complex schemas nest at most ${maxDepth} levels in DTDL v${v}`)
      return null
    }
    if (s === undefined) {
      this.problems.add(file, path, 'missing: every telemetry, property and payload has a schema')
      return null
    }
    if (typeof s === 'string') {
      if ((primitiveSchemas as readonly string[]).includes(s)) {
        const p = s as PrimitiveSchema
        if (v === 2 && v3OnlyPrimitives.has(p)) {
          this.problems.add(file, path, `'${s}' needs DTDL v3 (@context dtmi:dtdl:context;3)`)
          return null
        }
        return { kind: p }
      }
      const central = centralSchemas[s] ?? centralSchemas[centralSchemaDtmi.exec(s)?.[1] ?? '']
      if (central) return central
      if (geospatialOthers.has(s) || /^dtmi:standard:schema:geospatial:/.test(s)) return 'skip'
      if (dtmiRe.test(s) && s.includes(';')) {
        if (seen.includes(s)) {
          this.problems.add(file, path, `schema ${s} contains itself`)
          return null
        }
        const def = this.schemas.get(s) ?? (this.fetch(s), this.schemas.get(s))
        if (!def) {
          this.problems.add(
            file,
            path,
            `${s} is not a schema defined in these files (define it in the interface's "schemas")`,
          )
          return null
        }
        return this.schema(def.json, { ...c, file: def.file }, def.path, use, depth, [...seen, s])
      }
      this.problems.add(file, path, `'${s.slice(0, 60)}' is not a DTDL schema${suggest(s)}`)
      return null
    }
    if (!isObject(s)) {
      this.problems.add(file, path, `expected a schema name or a complex schema, got ${show(s)}`)
      return null
    }
    const type = s['@type']
    switch (type) {
      case 'Enum': {
        const valueSchema = s['valueSchema']
        if (valueSchema !== 'integer' && valueSchema !== 'string') {
          this.problems.add(
            file,
            at(path, 'valueSchema'),
            `an enum's values are "integer" or "string", not ${show(valueSchema)}`,
          )
          return null
        }
        const raw = s['enumValues']
        if (!Array.isArray(raw) || raw.length === 0 || raw.length > L.enumValues) {
          this.problems.add(
            file,
            at(path, 'enumValues'),
            `an enum lists 1 to ${L.enumValues} values`,
          )
          return null
        }
        const values: EnumValue[] = []
        raw.forEach((e, i) => {
          const p = `${at(path, 'enumValues')}[${i}]`
          const value = isObject(e) ? e['enumValue'] : undefined
          const name = isObject(e) ? e['name'] : undefined
          if (typeof name !== 'string' || !nameRe.test(name))
            return this.problems.add(file, at(p, 'name'), 'each enum value has a DTDL name')
          const ok = valueSchema === 'integer' ? Number.isInteger(value) : typeof value === 'string'
          if (!ok)
            return this.problems.add(
              file,
              at(p, 'enumValue'),
              `expected ${valueSchema === 'integer' ? 'an integer' : 'a string'}, got ${show(value)}`,
            )
          values.push({
            name,
            displayName: label((e as Json)['displayName'], name),
            value: value as number | string,
          })
        })
        return values.length === raw.length ? { kind: 'enum', valueSchema, values } : null
      }
      case 'Object': {
        const raw = s['fields']
        if (!Array.isArray(raw) || raw.length > L.objectFields) {
          this.problems.add(
            file,
            at(path, 'fields'),
            `an object lists up to ${L.objectFields} fields`,
          )
          return null
        }
        const fields: Field[] = []
        let bad = false
        let skip = false
        const names = new Set<string>()
        raw.forEach((f, i) => {
          const p = `${at(path, 'fields')}[${i}]`
          const name = isObject(f) ? f['name'] : undefined
          if (typeof name !== 'string' || !nameRe.test(name)) {
            bad = true
            return this.problems.add(file, at(p, 'name'), 'each field has a DTDL name')
          }
          if (names.has(name))
            this.problems.add(file, at(p, 'name'), `field "${name}" is defined twice`)
          names.add(name)
          const fs = this.schema((f as Json)['schema'], c, at(p, 'schema'), use, depth + 1, seen)
          if (fs === 'skip') skip = true
          if (fs === 'skip' || fs === null) {
            bad = true
            return
          }
          fields.push({ name, displayName: label((f as Json)['displayName'], name), schema: fs })
        })
        // A field the device cannot generate makes the whole element one it does not emulate.
        if (skip) return 'skip'
        return bad ? null : { kind: 'object', fields }
      }
      case 'Map': {
        const key = s['mapKey']
        const value = s['mapValue']
        if (!isObject(key) || key['schema'] !== 'string' || typeof key['name'] !== 'string') {
          this.problems.add(
            file,
            at(path, 'mapKey'),
            'a map key is { "name": …, "schema": "string" }',
          )
          return null
        }
        if (!isObject(value) || typeof value['name'] !== 'string') {
          this.problems.add(file, at(path, 'mapValue'), 'a map value is { "name": …, "schema": … }')
          return null
        }
        const vs = this.schema(
          value['schema'],
          c,
          at(at(path, 'mapValue'), 'schema'),
          use,
          depth + 1,
          seen,
        )
        if (vs === 'skip' || vs === null) return vs
        return { kind: 'map', keyName: key['name'], valueName: value['name'], value: vs }
      }
      case 'Array': {
        if (v === 2 && use === 'property') {
          this.problems.add(
            file,
            path,
            'an array in a property needs DTDL v3 (DTDL v2 allows arrays in telemetry and commands only)',
          )
          return null
        }
        const es = this.schema(
          s['elementSchema'],
          c,
          at(path, 'elementSchema'),
          use,
          depth + 1,
          seen,
        )
        if (es === 'skip' || es === null) return es
        return { kind: 'array', element: es }
      }
      default:
        this.problems.add(
          file,
          at(path, '@type'),
          `${show(type)} is not a complex schema (Enum, Object, Map or Array)`,
        )
        return null
    }
  }
}

interface Content {
  kind: ContentKind
  name: string
  json: Json
  semantic: string[]
  file: string
  path: string
  owner: IfaceEntry
}

/** An interface reached twice through extends (a diamond) gives its contents once. */
function once(contents: Content[]): Content[] {
  const seen = new Set<Json>()
  return contents.filter((c) => !seen.has(c.json) && (seen.add(c.json), true))
}

function notGenerated(model: DeviceModel, c: Content, where: string): void {
  const aside: Aside = {
    path: c.path,
    what: `${c.kind.toLowerCase()} ${where}`,
    why: 'its geospatial schema (line, polygon…) is not generated',
  }
  model.notEmulated.push(aside)
}

/** DTMIs an interface uses from elsewhere: its components' schemas and what it extends. */
function references(j: Json): string[] {
  const out: string[] = []
  const ext = j['extends']
  for (const e of Array.isArray(ext) ? ext : [ext])
    if (typeof e === 'string') out.push(e)
    else if (isObject(e) && typeof e['@id'] === 'string') out.push(e['@id'])
  const contents = j['contents']
  if (Array.isArray(contents))
    for (const c of contents) {
      if (!isObject(c)) continue
      const t = c['@type']
      if (t !== 'Component' && !(Array.isArray(t) && t.includes('Component'))) continue
      const s = c['schema']
      if (typeof s === 'string') out.push(s)
      else if (isObject(s) && typeof s['@id'] === 'string') out.push(s['@id'])
    }
  return out
}

const v1Refusal =
  "DTDL v1 (IoT Central's older capability models) is not supported: export the template again from IoT Central, which writes DTDL v2"

/** IoT Central's co-types: not semantic types, they say how its UI treats a value. */
const centralCoType = /^(\w+Value|Initialized|Cloud|Historized|Overridable|Editable)$/

/** IoT Central marks some interfaces with more types: ["Interface", "NamedInterface"]. */
const isInterfaceType = (t: unknown) =>
  t === 'Interface' || (Array.isArray(t) && t.includes('Interface'))

const at = (path: string, key: string) => (path ? `${path}.${key}` : key)

function show(v: unknown): string {
  if (typeof v === 'string') return `'${v.length > 60 ? v.slice(0, 60) + '…' : v}'`
  if (v === undefined) return 'nothing'
  if (Array.isArray(v)) return 'a list'
  if (v === null) return 'null'
  return typeof v === 'object' ? 'an object' : String(v)
}

function description(j: Json): string | null {
  const d = j['description']
  return d === undefined ? null : label(d, '')
}

function missing(id: string): string {
  return `${id} is not defined in these files: add the file that defines it, or give a models folder with ${dtmiPath(id)}`
}

/** A near miss among the primitive schemas: 'doubel' → double. */
function suggest(s: string): string {
  const lower = s.toLowerCase()
  const hit = primitiveSchemas.find(
    (p) => p.toLowerCase() === lower || distance(p.toLowerCase(), lower) <= 2,
  )
  return hit ? ` (did you mean '${hit}'?)` : ''
}

function distance(a: string, b: string): number {
  if (Math.abs(a.length - b.length) > 2) return 3
  const row = Array.from({ length: b.length + 1 }, (_, i) => i)
  for (let i = 1; i <= a.length; i++) {
    let prev = row[0]!
    row[0] = i
    for (let j = 1; j <= b.length; j++) {
      const tmp = row[j]!
      row[j] = Math.min(row[j]! + 1, row[j - 1]! + 1, prev + (a[i - 1] === b[j - 1] ? 0 : 1))
      prev = tmp
    }
  }
  return row[b.length]!
}

/**
 * Loads a device model: `docs[0]` is the template (one interface, or an IoT Central export's
 * array), the others define what it references; `resolve` is asked for anything still missing.
 * Every problem is reported with its place; on any problem nothing loads.
 */
export function loadModel(docs: ModelDocument[], options: LoadOptions = {}): ModelLoad {
  const reader = new Reader(options.resolve)
  if (docs.length === 0)
    return { ok: false, problems: [{ file: '', path: '', message: 'no template given' }] }
  if (docs.length > L.files)
    return {
      ok: false,
      problems: [{ file: '', path: '', message: `at most ${L.files} files at once` }],
    }
  try {
    const top = reader.addDocument(docs[0]!)
    for (const d of docs.slice(1)) reader.addDocument(d)
    const rootId = reader.rootOf(top)
    if (rootId === null) {
      if (reader.problems.list.length === 0)
        reader.problems.add(docs[0]!.name, '', 'the file defines no interface')
      return { ok: false, problems: reader.problems.list }
    }
    const model = reader.build(rootId)
    // Interfaces the file defines that the device model does not use are said, not dropped.
    for (const id of top)
      if (id !== rootId && !reader.uses(rootId, id))
        model.notEmulated.push({
          path: reader.pathOf(id),
          what: `interface ${id}`,
          why: `defined in the file but not used by ${rootId}, the device model (the first interface nothing else uses)`,
        })
    if (reader.problems.list.length > 0) return { ok: false, problems: reader.problems.list }
    if (model.telemetry.length + model.properties.length + model.commands.length === 0)
      reader.warnings.add(docs[0]!.name, '', 'the model has nothing a device sends or answers')
    return { ok: true, model, warnings: reader.warnings.list }
  } catch (e) {
    if (e instanceof Refusal) return { ok: false, problems: reader.problems.list }
    throw e
  }
}

/** What a load came to, for the window and `lizard model check`. */
export function modelReport(load: ModelLoad, source: string): ModelReport {
  if (!load.ok)
    return {
      loaded: false,
      source,
      modelId: null,
      displayName: null,
      counts: null,
      problems: load.problems,
      warnings: [],
      leftToCloud: [],
      notEmulated: [],
    }
  const m = load.model
  return {
    loaded: true,
    source,
    modelId: m.id,
    displayName: m.displayName,
    counts: {
      components: m.components.length,
      telemetry: m.telemetry.length,
      properties: m.properties.length,
      writable: m.properties.filter((p) => p.writable).length,
      commands: m.commands.length,
    },
    problems: [],
    warnings: load.warnings,
    leftToCloud: m.leftToCloud,
    notEmulated: m.notEmulated,
  }
}

/** A model that must load (the built-in template, tests' fixtures): its problems are thrown. */
export function parseModel(json: unknown, name = 'model.json'): DeviceModel {
  const load = loadModel([{ name, text: typeof json === 'string' ? json : JSON.stringify(json) }])
  if (load.ok) return load.model
  throw new Error(
    `${name} does not load: ${load.problems.map((p) => `${p.path}: ${p.message}`).join('; ')}`,
  )
}
