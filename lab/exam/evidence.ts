import type { HubName } from '../types'

// What the lab saw of one device during an exam: the only evidence the exam judges by. A device
// that is not ours is examined from the wire alone: nothing here assumes our seq convention or
// our timings; where a device sends sequence numbers or message ids, they are used, else not.

/** One thing the lab saw on the wire, in the order it saw it. */
export type WireEvent =
  | {
      at: number
      kind: 'dps-register'
      outcome: 'accepted' | 'throttled' | 'refused'
      retryAfterSec?: number
      modelId: string | null
    }
  | { at: number; kind: 'dps-poll'; outcome: 'answered' | 'throttled' }
  | {
      at: number
      kind: 'hub-connect'
      hub: HubName
      /** accepted, or the CONNACK code the hub refused with. */
      outcome: 'accepted' | 'refused'
      connack?: number
      modelId: string | null
      /** A connection from another client with the same id replaced an open one. */
      replaced: boolean
    }
  | {
      at: number
      kind: 'hub-disconnect'
      hub: HubName
      /** How the connection ended: a DISCONNECT packet, the socket closing, or the lab ending it. */
      how: 'disconnect-packet' | 'socket-closed' | 'evicted' | 'replaced' | 'hub-down'
    }
  | {
      at: number
      kind: 'telemetry'
      hub: HubName
      seq: number | null
      messageId: string | null
      /** The lab had this message id already (a resend). */
      duplicate: boolean
    }
  | {
      at: number
      kind: 'reported'
      hub: HubName
      keys: string[]
      /** The desired version (`av`) each acknowledgement in the patch names, by key. */
      acks: Record<string, number>
    }

/** A disaster the exam ran, and how the device came out of it. */
export interface Move {
  id: ExamEventId
  /** When the exam acted (the lab dropped the device, killed or silenced its hub…). */
  startedAt: number
  /** The hub the device was on, and where it should come back (the same one for a restart). */
  from: HubName
  to: HubName
  /**
   * First telemetry on `to` after its first accepted CONNECT there since startedAt (or that
   * CONNECT, if it sends no telemetry).
   */
  backAt: number | null
  backBy: 'telemetry' | 'connect' | null
  /** That CONNECT. */
  connectAt?: number | null
  /** When the exam stopped waiting (back, or out of time). */
  endedAt: number
  /** The 429's retry-after, for the throttle event. */
  retryAfterSec?: number
  after: AfterMove
}

/** What the device did on its new hub, when asked. */
export interface AfterMove {
  /**
   * A direct method: the status it answered (any status shows it listens), null for no answer.
   * `outcome` (absent: judged by status): answered, no answer in time, or not subscribed to
   * methods at all. `probe`: the exam's own method name (no template named a command).
   */
  method: {
    name: string
    status: number | null
    outcome?: 'answered' | 'no-answer' | 'not-subscribed'
    probe?: boolean
  } | null
  /** A durable command as C2D: whether the device took it (PUBACK) within the bound. */
  c2d: { name: string; delivered: boolean; probe?: boolean } | null
  /** A desired patch of two keys: the acknowledgements reported for it, by key. */
  desired: {
    version: number
    keys: string[]
    acks: Record<string, { ac?: unknown; av?: unknown; ad?: unknown; value?: unknown } | null>
  } | null
  /** Without a new patch, the desired version the device acknowledged after reconnecting. */
  resyncedVersion: number | null
  /** The desired version it should have acknowledged then. */
  desiredVersion: number | null
}

export const examEventIds = [
  'manual-failover',
  'manual-failback',
  'kill',
  'blackhole',
  'restart',
  'throttle',
] as const
export type ExamEventId = (typeof examEventIds)[number]

export interface Evidence {
  deviceId: string
  startedAt: number
  endedAt: number
  /** The device's own telemetry period, as observed before the first event; null: none seen. */
  periodMs: number | null
  events: WireEvent[]
  moves: Move[]
  /** Events not run, and why (--skip, an earlier one the device never came back from…). */
  skipped: { id: ExamEventId; why: string }[]
  /** Checked against a template (--model, or the lab's for the device's model-id). */
  conformance: {
    modelId: string
    findings: number
    recent: { kind: string; message: string }[]
    /** Messages checked during the exam (telemetry and reported patches). */
    checked?: number
  } | null
  /**
   * Why the device's traffic was not checked against a template, when it was not: the lab has
   * none for its model-id, it named none, or --model names another model than its connection.
   */
  unchecked?: string | null
  /** Events the lab's per-device bound let go before the exam read them (0: it saw everything). */
  wireDropped?: number
  /** The model id the device gave on CONNECT and in its DPS payload (null: it gave none). */
  modelId: { connect: string | null; dps: string | null } | null
  /** How the device's last connection ended, if it ended before the exam did. */
  endedWith: 'disconnect-packet' | 'socket-closed' | null
  /** Set when the exam was stopped (Ctrl+C, time bound): what was measured still counts. */
  interrupted: string | null
}
