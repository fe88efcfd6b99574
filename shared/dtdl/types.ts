// The device model as every part of the house sees it: the engine, the lab and the window. One
// typed structure, made by parse.ts from DTDL v2/v3 (and IoT Central's extensions); pure data,
// so it crosses the contract as JSON.

/** DTDL primitive schemas. v3 adds the second row; a v2 file that uses them is refused. */
export const primitiveSchemas = [
  'boolean',
  'date',
  'dateTime',
  'double',
  'duration',
  'float',
  'integer',
  'long',
  'string',
  'time',
  // DTDL v3 only
  'byte',
  'bytes',
  'decimal',
  'short',
  'unsignedByte',
  'unsignedInteger',
  'unsignedLong',
  'unsignedShort',
  'uuid',
] as const
export type PrimitiveSchema = (typeof primitiveSchemas)[number]
export const v3OnlyPrimitives: ReadonlySet<PrimitiveSchema> = new Set([
  'byte',
  'bytes',
  'decimal',
  'short',
  'unsignedByte',
  'unsignedInteger',
  'unsignedLong',
  'unsignedShort',
  'uuid',
])

export interface Field {
  name: string
  displayName: string
  schema: Schema
}

export interface EnumValue {
  name: string
  displayName: string
  value: number | string
}

/**
 * A schema with every reference resolved. `geopoint` is IoT Central's `{ lat, lon, alt? }`,
 * `vector` its `{ x, y, z }`; `point` is DTDL v2's GeoJSON point `{ type: "Point", coordinates }`.
 */
export type Schema =
  | { kind: PrimitiveSchema }
  | { kind: 'enum'; valueSchema: 'integer' | 'string'; values: EnumValue[] }
  | { kind: 'object'; fields: Field[] }
  | { kind: 'map'; keyName: string; valueName: string; value: Schema }
  | { kind: 'array'; element: Schema }
  | { kind: 'geopoint' }
  | { kind: 'vector' }
  | { kind: 'point' }

export type SchemaKind = Schema['kind']

/** What the element is beside Telemetry/Property: `Temperature`, IoT Central's `Event`, `State`… */
export interface Semantics {
  semanticType?: string
  /** The DTDL unit name (degreeCelsius, percent…). */
  unit?: string
}

/** Where an element sits: `component` is null for the model's own (default component) contents. */
export interface Placed {
  component: string | null
  name: string
  displayName: string
  description?: string
}

export interface TelemetryDef extends Placed, Semantics {
  schema: Schema
}

export interface PropertyDef extends Placed, Semantics {
  schema: Schema
  writable: boolean
}

export interface CommandPayload {
  name: string
  displayName: string
  schema: Schema
  /** DTDL v3: the payload may be null. */
  nullable?: boolean
}

export interface CommandDef extends Placed {
  /** IoT Central: a durable (offline) command arrives as C2D with `method-name`. */
  durable: boolean
  request?: CommandPayload
  response?: CommandPayload
}

export interface ComponentDef {
  name: string
  displayName: string
  /** The DTMI of the interface its schema names (or the inline interface's own @id). */
  interfaceId: string
}

/** Something the model has that the device does not do, and why: never dropped in silence. */
export interface Aside {
  /** Where in the file, e.g. `[0].contents[4]`. */
  path: string
  /** `thermostat1/targetTemperature`, `relationship parent`, … */
  what: string
  why: string
}

export interface DeviceModel {
  /** The root interface's DTMI: the DPS payload and MQTT model-id carry it. */
  id: string
  displayName: string
  description?: string
  dtdlVersion: 2 | 3
  components: ComponentDef[]
  telemetry: TelemetryDef[]
  properties: PropertyDef[]
  commands: CommandDef[]
  /** Recognised and left to the cloud (cloud properties, relationships): not the device's job. */
  leftToCloud: Aside[]
  /** Parsed but not emulated (nested components, unknown extensions' elements). */
  notEmulated: Aside[]
}

/** One problem in a file, with its place: `[0].contents[3].schema: 'doubel' is not a DTDL schema`. */
export interface ModelProblem {
  /** The file (or document) it was found in. */
  file: string
  path: string
  message: string
}

export type ModelLoad =
  | { ok: true; model: DeviceModel; warnings: ModelProblem[] }
  | { ok: false; problems: ModelProblem[] }

/** One document to load: its name (for messages) and its text. */
export interface ModelDocument {
  name: string
  text: string
}

/** The name a component's element has on the wire and in the window: `thermostat1*reboot`. */
export function commandWireName(c: Pick<CommandDef, 'component' | 'name'>): string {
  return c.component ? `${c.component}*${c.name}` : c.name
}

/** A key for an element that is unique in the model: `temperature`, `thermostat1/temperature`. */
export function elementKey(e: Pick<Placed, 'component' | 'name'>): string {
  return e.component ? `${e.component}/${e.name}` : e.name
}

/** What loading a template came to, as the window and `lizard model check` show it. */
export interface ModelReport {
  loaded: boolean
  /** The file the model came from (the first document), or `failover.json (built in)`. */
  source: string
  modelId: string | null
  displayName: string | null
  counts: {
    components: number
    telemetry: number
    properties: number
    writable: number
    commands: number
  } | null
  /** Why it did not load: every problem, with its place. Empty when it loaded. */
  problems: ModelProblem[]
  warnings: ModelProblem[]
  leftToCloud: Aside[]
  notEmulated: Aside[]
}
