import type { AppError, Behaviours } from '../../shared/domain'
import { nestsDeeperThan } from '../../shared/json-depth'
import type { DeviceModel } from '../../shared/dtdl'
import type { Activity } from './activity'
import { answerMethod, methodPayload, settleC2d } from './behaviour/commands'
import { buildDesiredAcks } from './behaviour/desired'
import { mergePatch } from './behaviour/twin-merge'
import type { HubLink, InboundC2d, InboundMethod, LinkHandlers } from './hub-link'

/** IoT Hub queues at most 50 C2D messages per device; this bounds what one link can hold. */
const maxHeld = 100
/** A desired document IoT Hub accepts is at most 32 KB, 10 levels deep: far fewer keys than this. */
const maxDesiredKeys = 100
const maxDesiredDepth = 10

/**
 * What of a desired patch from the hub the device takes in: its first `maxDesiredKeys` properties
 * (a hostile hub could send hundreds of thousands, each kept and acknowledged), a value nested
 * deeper than IoT Hub allows replaced by a note (kept, it could be neither shown nor sent back).
 */
function boundedDesired(patch: Record<string, unknown>): {
  patch: Record<string, unknown>
  cut: number
} {
  const entries = Object.entries(patch)
  const kept = entries
    .slice(0, maxDesiredKeys)
    .map(([k, v]): [string, unknown] => [
      k,
      nestsDeeperThan(v, maxDesiredDepth)
        ? `(a value nested deeper than ${maxDesiredDepth} levels: not kept)`
        : v,
    ])
  return { patch: Object.fromEntries(kept), cut: entries.length - kept.length }
}

export interface InboundContext {
  model: DeviceModel
  activity: Activity
  behaviours(): Behaviours
  /** Responses the user set per command (wire name). */
  commandResponses(): Record<string, unknown>
  /** The link in use, once it is fully up. */
  link(): HubLink | null
  problem(error: AppError): void
  changed(): void
}

/**
 * Direct methods, C2D commands and desired properties: answered as the model says, each one
 * logged with its payload and our answer. Nothing that arrives may take the engine down.
 */
export class Inbound {
  /** The desired document as last received. */
  desired: Record<string, unknown> = {}
  /** The value last acknowledged per property, so a re-sync does not log unchanged edits again. */
  private readonly acked = new Map<string, string>()
  /** C2D commands that came while C2D was off: not acknowledged, so still the hub's. */
  private held: InboundC2d[] = []
  /** Message ids already shown as held, so a redelivery does not log them again. */
  private readonly shownHeld = new Set<string>()

  readonly handlers: LinkHandlers = {
    method: (call) => this.guard(() => this.onMethod(call)),
    c2d: (message) => this.guard(() => this.onC2d(message)),
    desired: (patch) => this.guard(() => this.onDesiredPatch(this.bounded(patch))),
    dropped: (topic, why) =>
      this.ctx.problem({
        code: 'protocol',
        message: `ignored a malformed message from the hub on ${topic}: ${why}`,
      }),
  }

  constructor(private readonly ctx: InboundContext) {}

  /**
   * A patch as the device takes it in (see boundedDesired). Across patches too, properties the
   * model does not have are taken only while fewer than `maxDesiredKeys` are known: a hub sending
   * a hundred new names at a time must not grow the document without end.
   */
  private bounded(patch: Record<string, unknown>, wholeDocument = false): Record<string, unknown> {
    const b = boundedDesired(patch)
    const known = wholeDocument ? {} : this.desired
    let room = maxDesiredKeys - Object.keys(known).length
    let cut = b.cut
    for (const name of Object.keys(b.patch)) {
      const { model } = this.ctx
      if (
        name.startsWith('$') ||
        name in known ||
        model.properties.some((p) => p.component === null && p.name === name) ||
        model.components.some((c) => c.name === name)
      )
        continue
      if (room > 0) room--
      else {
        delete b.patch[name]
        cut++
      }
    }
    if (cut > 0)
      this.ctx.problem({
        code: 'protocol',
        message: `the hub sent more desired properties than a device template can have: ${cut} not handled`,
      })
    return b.patch
  }

  /**
   * C2D is back on: act on the commands held since it was switched off, in order. One held on
   * a connection that has since gone cannot be settled any more; the hub delivers it again.
   */
  releaseHeld(): void {
    for (const message of this.held.splice(0)) this.guard(() => this.settle(message))
  }

  /** After every connect: read the whole desired document and acknowledge all of it. */
  async syncDesired(link: HubLink): Promise<void> {
    if (!this.ctx.behaviours().desiredProperties) return
    let desired: unknown
    try {
      desired = (await link.getTwin())?.desired
    } catch {
      return // the link failed; the next connect syncs again
    }
    this.guard(() => {
      if (typeof desired !== 'object' || desired === null || Array.isArray(desired))
        throw new Error('the twin has no desired-properties object')
      this.desired = this.bounded(desired as Record<string, unknown>, true)
      this.acknowledge(this.desired, link, true)
    })
  }

  private guard(fn: () => void): void {
    try {
      fn()
    } catch (e) {
      this.ctx.problem({
        code: 'internal',
        message: `handling an inbound message failed: ${(e as Error).message}`,
      })
    }
  }

  private onMethod(call: InboundMethod): void {
    const { activity } = this.ctx
    if (!this.ctx.behaviours().directMethods) {
      // Not answering is what a device without a handler does: the caller times out.
      activity.addInbound({
        kind: 'method',
        name: call.name,
        payload: methodPayload(call.body),
        response: { status: 0, outcome: 'ignored' },
      })
      return
    }
    const answer = answerMethod(call.name, call.body, this.ctx.model, this.ctx.commandResponses())
    activity.addInbound({
      kind: 'method',
      name: call.name,
      payload: answer.payload,
      response: { status: answer.status, body: answer.body },
    })
    call.respond(answer.status, answer.body).catch(() => {
      // The link dropped before the answer went out; the service reports a timeout to the caller.
    })
  }

  private onC2d(message: InboundC2d): void {
    if (this.ctx.behaviours().c2dCommands) return this.settle(message)
    // Off: the device does not take it. Not acknowledging it leaves it with the hub, which
    // delivers it again on the next connection; switched back on, it is acted on here.
    this.held.push(message)
    if (this.held.length > maxHeld) this.held.shift()
    const id = message.messageId
    if (id !== null && this.shownHeld.has(id)) return
    if (id !== null) {
      this.shownHeld.add(id)
      if (this.shownHeld.size > maxHeld)
        this.shownHeld.delete(this.shownHeld.values().next().value!)
    }
    this.ctx.activity.addInbound({
      kind: 'c2d',
      name: message.properties['method-name'] ?? '(no method-name)',
      payload: settleC2d(message.properties, message.body, this.ctx.model).payload,
      response: {
        status: 0,
        outcome: 'held',
        body: 'held at the hub (not acknowledged) until C2D commands are switched on',
      },
    })
  }

  private settle(message: InboundC2d): void {
    const { activity } = this.ctx
    const r = settleC2d(message.properties, message.body, this.ctx.model)
    // False: the connection it came on is gone; the hub delivers it again on the next one.
    const settled = r.outcome === 'completed' ? message.complete() : message.reject()
    if (!settled) return
    if (message.messageId !== null) this.shownHeld.delete(message.messageId)
    activity.addInbound({
      kind: 'c2d',
      name: r.name,
      payload: r.payload,
      response: {
        status: r.outcome === 'completed' ? 200 : 400,
        body: r.reason,
        outcome: r.outcome,
      },
    })
  }

  private onDesiredPatch(patch: Record<string, unknown>): void {
    if (!this.ctx.behaviours().desiredProperties) {
      for (const { key, ack } of buildDesiredAcks(patch, this.ctx.model).entries)
        this.ctx.activity.addInbound({
          kind: 'desired',
          name: key,
          payload: ack.value,
          response: { status: 0, outcome: 'ignored' },
        })
      return
    }
    const link = this.ctx.link()
    // A patch racing the connect is covered by the full-document acknowledgement that follows it.
    if (!link?.alive) return
    mergePatch(this.desired, patch)
    this.acknowledge(patch, link, false)
  }

  private acknowledge(doc: Record<string, unknown>, link: HubLink, wholeDocument: boolean): void {
    const { activity } = this.ctx
    const { entries, patch: acks } = buildDesiredAcks(doc, this.ctx.model)
    if (entries.length === 0) return this.ctx.changed()
    for (const { key, ack } of entries) {
      const value = JSON.stringify(ack.value)
      if (!wholeDocument || this.acked.get(key) !== value) {
        activity.addInbound({
          kind: 'desired',
          name: key,
          payload: ack.value,
          response: { status: ack.ac, body: ack },
        })
      }
      this.acked.set(key, value)
    }
    mergePatch(activity.reportedValues, acks)
    const entry = activity.addReported(acks, 'sent')
    link.updateReported(acks).then(
      () => activity.setReportedStatus(entry, 'acknowledged'),
      // Sent again, with the whole document, after the next connect.
      () => activity.setReportedStatus(entry, 'failed'),
    )
    this.ctx.changed()
  }
}
