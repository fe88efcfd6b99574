import { HubRefused, LinkDown, type HubLink } from './hub-link'
import { clip } from './errors'
import type { Outbox, OutboxItem } from './outbox'

export interface SenderHooks {
  /** An item went on the wire; `again` when an earlier attempt may have reached the hub. */
  sent(item: OutboxItem, again: boolean): void
  acked(item: OutboxItem, link: HubLink): void
  /** The hub refused the item for good (not a connection problem): it leaves the outbox. */
  refused(item: OutboxItem, reason: string): void
}

interface Entry {
  item: OutboxItem
  attempts: number
  inflight: boolean
}

type Kind = OutboxItem['kind']

/**
 * Drains the outbox over the current link, oldest first. Telemetry and reported properties
 * are separate lanes so a slow twin reply never holds telemetry back; within a lane, order is
 * kept and up to `window` items are in flight. Whatever is in flight when a link drops stays
 * in the outbox and goes out again, first, on the next link.
 */
export class Sender {
  private link: HubLink | null = null
  private readonly lanes: Record<Kind, Entry[]> = { telemetry: [], reported: [] }
  private readonly windows: Record<Kind, number> = { telemetry: 16, reported: 1 }
  private drainWaiters: (() => void)[] = []

  constructor(
    private readonly outbox: Outbox,
    private readonly hooks: SenderHooks,
  ) {
    for (const item of outbox.pending())
      this.lanes[item.kind].push({ item, attempts: 0, inflight: false })
  }

  push(item: OutboxItem): void {
    this.lanes[item.kind].push({ item, attempts: 0, inflight: false })
    this.pump()
  }

  /** Items the outbox dropped to stay within its bound. */
  forget(items: OutboxItem[]): void {
    for (const item of items) {
      const lane = this.lanes[item.kind]
      const i = lane.findIndex((e) => e.item.id === item.id)
      if (i >= 0) lane.splice(i, 1)
    }
    this.checkDrained()
  }

  attach(link: HubLink): void {
    this.link = link
    this.pump()
  }

  detach(): void {
    this.link = null
  }

  get empty(): boolean {
    return this.lanes.telemetry.length === 0 && this.lanes.reported.length === 0
  }

  /** Resolves when everything queued has been acknowledged (or dropped). */
  drained(): Promise<void> {
    if (this.empty) return Promise.resolve()
    return new Promise((resolve) => this.drainWaiters.push(resolve))
  }

  private pump(): void {
    const link = this.link
    if (!link?.alive) return
    for (const kind of ['telemetry', 'reported'] as const) {
      const lane = this.lanes[kind]
      let inflight = lane.filter((e) => e.inflight).length
      for (const entry of lane) {
        if (inflight >= this.windows[kind]) break
        if (entry.inflight) continue
        inflight++
        this.send(entry, link)
      }
    }
  }

  private send(entry: Entry, link: HubLink): void {
    entry.inflight = true
    this.hooks.sent(entry.item, entry.attempts++ > 0)
    const item = entry.item
    const op =
      item.kind === 'telemetry'
        ? link.sendTelemetry(item.seq, item.body)
        : link.updateReported(item.patch)
    op.then(
      () => {
        this.remove(entry)
        this.outbox.settle(item.id, 'acked')
        this.hooks.acked(item, link)
        this.pump()
      },
      (e: Error) => {
        entry.inflight = false
        if (e instanceof HubRefused) {
          this.remove(entry)
          this.outbox.settle(item.id, 'failed')
          this.hooks.refused(item, e.message)
        } else if (!(e instanceof LinkDown)) {
          // A send failed on a link that still looks up: do not trust it, start over.
          link.fail({ kind: 'send-failed', detail: clip(String(e.message)) })
        }
        this.pump()
      },
    )
  }

  private remove(entry: Entry): void {
    const lane = this.lanes[entry.item.kind]
    const i = lane.indexOf(entry)
    if (i >= 0) lane.splice(i, 1)
    this.checkDrained()
  }

  private checkDrained(): void {
    if (!this.empty) return
    for (const resolve of this.drainWaiters.splice(0)) resolve()
  }
}
