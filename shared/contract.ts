import { z } from 'zod'
import type {
  AppError,
  Behaviours,
  InboundEntry,
  Periods,
  ReportedEntry,
  SessionSnapshot,
  TelemetrySample,
  TimelineEntry,
} from './domain'
import { behaviourNames } from './domain'
import type { DeviceModel, ModelReport } from './dtdl/types'
import { modelFilesSchema } from './dtdl/limits'
import type { PublicSettings } from './settings'
import { profileIdSchema, settingsInputSchema } from './settings'
import { labActionSchema, type LabStats, type LabStatus } from './lab-actions'
import { MAX_REQUEST_DEPTH, nestsDeeperThan } from './json-depth'
import {
  fleetDeviceRequestSchema,
  fleetStartSchema,
  type FleetDeviceDetail,
  type FleetSnapshot,
} from './fleet-view'
import { examStartSchema, type ExamSnapshot, type LabDeviceList } from './exam-view'

// The one contract between the renderer and either shell (Electron IPC or the web shell's
// WebSocket). Every channel name lives here; both shells and the preload are checked against it.

/** An error as the renderer gets it; `field` names the form field a validation error is about. */
export type ContractError = AppError & { field?: string }

export type Result<T> = { ok: true; value: T } | { ok: false; error: ContractError }

/** The embedded lab as the window sees it: running in its own process, or stopped and why. */
export interface LabInfo {
  status: 'starting' | 'running' | 'stopped'
  /** Why the lab is not running (it crashed, could not start...), in plain words. */
  stoppedReason: string | null
  controlUrl: string | null
  /** What to type in a terminal to fail the device over and back (reaches this very lab). */
  tryFailover: string
  tryFailback: string
  /** How lizard runs here (`npx lizard`, or the packaged app with `--lizard`), for the lab panel. */
  lizard: string
}

export interface AppInfo {
  version: string
  mode: 'lab' | 'central'
  shell: 'electron' | 'web'
  /** Present in lab mode: the embedded lab and how to drive it. */
  lab: LabInfo | null
  model: DeviceModel
  /** Where the model came from and what of it is not emulated (shown beside the template's name). */
  modelReport: ModelReport
  /** Where the app writes its rotating log file. */
  logDir: string | null
  /** The shell can open the logs folder itself (Electron); the web shell shows the path. */
  canOpenLogs: boolean
  /** The last fault the app caught and recovered from, for the window to show. */
  lastFault: { at: number; message: string } | null
}

const none = z.undefined()

export const invokeChannels = {
  'app:info': { request: none, response: {} as AppInfo },
  'session:snapshot': { request: none, response: {} as SessionSnapshot },
  'session:connect': { request: none, response: null },
  'session:disconnect': { request: none, response: null },
  'session:reconnect': { request: none, response: null },
  'session:setBehaviour': {
    request: z.object({ name: z.enum(behaviourNames), enabled: z.boolean() }),
    response: {} as Behaviours,
  },
  'session:setPeriods': {
    request: z
      .object({
        telemetryMs: z.number().int().min(100).max(3_600_000).optional(),
        reportedMs: z.number().int().min(100).max(3_600_000).optional(),
      })
      .refine(
        (p) => p.telemetryMs !== undefined || p.reportedMs !== undefined,
        'give telemetryMs or reportedMs',
      ),
    response: {} as Periods,
  },
  'timeline:list': { request: none, response: [] as TimelineEntry[] },
  'telemetry:recent': { request: none, response: [] as TelemetrySample[] },
  'inbound:list': { request: none, response: [] as InboundEntry[] },
  'reported:list': { request: none, response: [] as ReportedEntry[] },
  'settings:get': { request: none, response: {} as PublicSettings },
  'settings:save': { request: settingsInputSchema, response: {} as PublicSettings },
  'settings:useLab': { request: none, response: {} as PublicSettings },
  'settings:activate': {
    request: z.object({ id: z.union([z.literal('lab'), profileIdSchema]) }),
    response: {} as PublicSettings,
  },
  'settings:delete': { request: z.object({ id: profileIdSchema }), response: {} as PublicSettings },
  'lab:restart': { request: none, response: {} as AppInfo },
  /** A lab-panel action on the embedded lab; answers with what the lab said, in a line. */
  'lab:act': { request: labActionSchema, response: '' as string },
  'lab:status': { request: none, response: {} as LabStatus },
  /** What the embedded lab received from the device (null when there is no lab to ask). */
  'lab:stats': { request: none, response: null as LabStats | null },
  /**
   * Loads a device template for the profile in use: the template first, then any files that
   * define the DTMIs it references. Refused as a whole (the device keeps its model) when it does
   * not load; the report says why, problem by problem.
   */
  'model:load': { request: modelFilesSchema, response: {} as ModelReport },
  /** Back to the built-in template (failover.json). */
  'model:reset': { request: none, response: {} as ModelReport },
  /** A fixed response for a synchronous command (wire name), or null to go back to generated. */
  'session:setCommandResponse': {
    request: z.object({
      command: z.string().min(1).max(200),
      response: z.unknown().refine((v) => {
        try {
          return JSON.stringify(v ?? null).length <= 16_384
        } catch {
          return false
        }
      }, 'response: at most 16 KiB of JSON'),
    }),
    response: {} as Record<string, unknown>,
  },
  'app:diagnostics': { request: none, response: '' as string },
  'app:openLogs': { request: none, response: null },
  /**
   * Starts a small fleet (1–500 devices `{prefix}-{index}`, default prefix `fleet`) against the
   * embedded lab, beside the single device. Answers once every session is built; the devices then
   * connect paced, and `fleet:changed` tells how it goes.
   */
  'fleet:start': { request: fleetStartSchema, response: {} as FleetSnapshot },
  /** Closes every session of the fleet cleanly (each flushes what it can); the last counts stay. */
  'fleet:stop': { request: none, response: {} as FleetSnapshot },
  /**
   * The fleet as it is now. Asking also keeps the lab's quota counts coming for a while (the
   * fleet view asks again while it is open), with or without a fleet running.
   */
  'fleet:state': { request: none, response: {} as FleetSnapshot },
  /** One fleet device for the single-device view (read-only); lists only past the cursors given. */
  'fleet:device': { request: fleetDeviceRequestSchema, response: {} as FleetDeviceDetail },
  /**
   * The devices the embedded lab knows (any client: this app's, a fleet's, your own), connected
   * ones first, at most 500; from its control API's GET /devices.
   */
  'lab:devices': { request: none, response: {} as LabDeviceList },
  /**
   * Starts `lizard exam` against a device on the embedded lab: the events chosen (all when left
   * out), within a time bound. Answers at once; `exam:changed` tells how it goes. One at a time.
   */
  'exam:start': { request: examStartSchema, response: {} as ExamSnapshot },
  /** Stops the exam under way; answers once every hub and DPS are restored, with what ran. */
  'exam:stop': { request: none, response: {} as ExamSnapshot },
  'exam:state': { request: none, response: {} as ExamSnapshot },
  /** The last exam's scorecard as one self-contained HTML page (not-found before one ended). */
  'exam:report': { request: none, response: '' as string },
} as const

export type InvokeChannel = keyof typeof invokeChannels
export type InvokeRequest<C extends InvokeChannel> = z.input<(typeof invokeChannels)[C]['request']>
export type InvokeResponse<C extends InvokeChannel> = (typeof invokeChannels)[C]['response']

/** Main → renderer pushes. Lists arrive in batches so a fast device cannot flood the UI. */
export interface EventPayloads {
  'session:changed': SessionSnapshot
  'timeline:added': TimelineEntry[]
  'telemetry:added': TelemetrySample[]
  'inbound:added': InboundEntry[]
  'reported:changed': ReportedEntry[]
  'settings:changed': PublicSettings
  'app:changed': AppInfo
  /** The fleet's counts, at most twice a second (never one push per device message). */
  'fleet:changed': FleetSnapshot
  /**
   * The exam: a change of state (an event under way or ended, the exam's end) at once; progress
   * lines alone at most every 250 ms.
   */
  'exam:changed': ExamSnapshot
}
export type EventChannel = keyof EventPayloads
export const eventChannels = [
  'session:changed',
  'timeline:added',
  'telemetry:added',
  'inbound:added',
  'reported:changed',
  'settings:changed',
  'app:changed',
  'fleet:changed',
  'exam:changed',
] as const satisfies readonly EventChannel[]

/** Parses a request for a channel; a failure is a typed `bad-request` error, never a throw. */
export function parseRequest<C extends InvokeChannel>(
  channel: C,
  input: unknown,
): Result<z.output<(typeof invokeChannels)[C]['request']>> {
  if (nestsDeeperThan(input, MAX_REQUEST_DEPTH)) {
    return {
      ok: false,
      error: {
        code: 'bad-request',
        message: `${channel}: the request nests deeper than ${MAX_REQUEST_DEPTH} levels`,
      },
    }
  }
  const schema: z.ZodType = invokeChannels[channel].request
  let r: z.ZodSafeParseResult<unknown>
  try {
    r = schema.safeParse(input)
  } catch (err) {
    // A refinement that could not even look at the value (it cannot be serialized): refuse it.
    return {
      ok: false,
      error: {
        code: 'bad-request',
        message: `${channel}: unreadable request (${err instanceof Error ? err.name : 'error'})`,
      },
    }
  }
  if (r.success)
    return { ok: true, value: r.data as z.output<(typeof invokeChannels)[C]['request']> }
  const first = r.error.issues[0]
  const field = typeof first?.path[0] === 'string' ? first.path[0] : undefined
  return {
    ok: false,
    error: {
      code: 'bad-request',
      message: r.error.issues
        .slice(0, 8)
        .map((i) => (i.path.length ? i.path.join('.') + ': ' : '') + i.message)
        .join('; '),
      ...(field ? { field } : {}),
    },
  }
}

export function isInvokeChannel(name: unknown): name is InvokeChannel {
  return typeof name === 'string' && Object.hasOwn(invokeChannels, name)
}

/**
 * The renderer's API, derived from the contract: one function per invoke channel (named by
 * camel-casing the channel) plus one `on…` subscription per event that returns an unsubscribe.
 */
type CamelChannel<S extends string> = S extends `${infer A}:${infer B}` ? `${A}${Capitalize<B>}` : S
type OnName<S extends string> = `on${Capitalize<CamelChannel<S>>}`

export type RendererApi = {
  [C in InvokeChannel as CamelChannel<C>]: (
    ...args: InvokeRequest<C> extends undefined ? [] : [InvokeRequest<C>]
  ) => Promise<Result<InvokeResponse<C>>>
} & {
  [E in EventChannel as OnName<E>]: (listener: (payload: EventPayloads[E]) => void) => () => void
}

export function apiName(channel: InvokeChannel): string {
  const [a, b] = channel.split(':') as [string, string]
  return a + b[0]!.toUpperCase() + b.slice(1)
}
export function onName(channel: EventChannel): string {
  return 'on' + apiName(channel as unknown as InvokeChannel).replace(/^./, (c) => c.toUpperCase())
}
