import { z } from 'zod'

// What the window's lab panel can ask of the embedded lab, and the `lizard` command that does the
// same from a terminal: the panel shows one beside each button, so the CLI stays the way to script.

const hub = z.enum(['a', 'b'])
const commandName = z
  .string()
  .regex(/^[A-Za-z0-9_\-.:*]{1,100}$/, 'a command name: letters, digits, _ - . : *')

/** Whether a value serializes to at most `max` characters of JSON (false when it cannot). */
function jsonWithin(v: unknown, max: number): boolean {
  try {
    return JSON.stringify(v ?? null).length <= max
  } catch {
    return false
  }
}

/** A JSON value small enough for a method or command payload from the panel. */
const payload = z.unknown().refine((v) => jsonWithin(v, 16_384), 'payload: at most 16 KiB of JSON')

export const labActionSchema = z.discriminatedUnion('action', [
  z.object({ action: z.literal('failover'), ttl: z.number().int().min(1).max(30).optional() }),
  z.object({ action: z.literal('failback') }),
  z.object({
    action: z.literal('outage'),
    hub,
    forSeconds: z.number().int().min(1).max(3600).optional(),
    blackhole: z.boolean().optional(),
  }),
  z.object({ action: z.literal('hub'), hub, op: z.enum(['kill', 'blackhole', 'restore']) }),
  z.object({ action: z.literal('dps'), op: z.enum(['throttle', 'stop', 'restore']) }),
  z.object({ action: z.literal('invoke'), method: commandName, payload }),
  z.object({ action: z.literal('command'), name: commandName, payload }),
  z.object({
    action: z.literal('desired'),
    patch: z
      .record(z.string().min(1).max(128), z.unknown())
      .refine(
        (p) => Object.keys(p).length > 0 && jsonWithin(p, 16_384),
        'give 1 to a few properties',
      ),
  }),
])
export type LabAction = z.infer<typeof labActionSchema>

/** A word for the shell that keeps it whole (POSIX shells: single quotes). */
function quote(s: string): string {
  return /^[A-Za-z0-9_\-.:/=@%+,]+$/.test(s) ? s : `'${s.replace(/'/g, `'\\''`)}'`
}

/**
 * The lizard command line for an action. `prefix` is how lizard runs here (`npx lizard`, or the
 * packaged app with `--lizard`); the lab's URL makes it reach this very lab.
 */
export function lizardCommand(
  prefix: string,
  a: LabAction,
  deviceId: string,
  controlUrl: string,
): string {
  const id = quote(deviceId)
  const args = ((): string => {
    switch (a.action) {
      case 'failover':
        return `failover ${id}${a.ttl !== undefined ? ` --ttl ${a.ttl}` : ''}`
      case 'failback':
        return `failback ${id}`
      case 'outage':
        return `outage ${a.hub}${a.forSeconds !== undefined ? ` --for ${a.forSeconds}` : ''}${a.blackhole ? ' --blackhole' : ''}`
      case 'hub':
        return `hub ${a.hub} ${a.op}`
      case 'dps':
        return `dps ${a.op}`
      case 'invoke':
        return `invoke ${id} ${quote(a.method)} ${quote(JSON.stringify(a.payload ?? null))}`
      case 'command':
        return `command ${id} ${quote(a.name)} ${quote(JSON.stringify(a.payload ?? null))}`
      case 'desired':
        return `desired ${id} ${quote(JSON.stringify(a.patch))}`
    }
  })()
  return `${prefix} ${args} --url ${controlUrl}`
}

/** The lab as its panel shows it: each hub's state and DPS's view of it, and DPS itself. */
export interface LabStatus {
  hubs: Record<
    'a' | 'b',
    {
      host: string
      /** up, killed or blackholed. */
      mode: string
      /** Whether DPS hands this hub out now, and why not when it does not. */
      dpsAssigns: boolean
      dpsNote: string | null
      outage: { restoreAt: string; plan: { at: string; text: string }[] } | null
    }
  >
  dps: { mode: string }
}

/**
 * What the lab found checking the device's traffic against its template, as IoT Central would
 * see it (lab/conformance-log.ts on the other side of the wire): never a refusal, a count.
 */
export interface LabConformance {
  modelId: string | null
  /** checked: the lab has the template; unknown: it has none for that model id. */
  template: 'checked' | 'unknown' | 'no-model-id'
  note: string | null
  checked: number
  findings: number
  counts: Record<string, number>
  recent: { at: string; kind: string; where: string; message: string }[]
}

/** What the lab counted for the device: the proof that nothing was lost or doubled. */
export interface LabStats {
  count: number
  unique: number
  duplicates: number
  firstSeq: number | null
  lastSeq: number | null
  missing: number[]
  /** Null from a lab that does not check templates. */
  conformance?: LabConformance | null
}
