import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { HubRefused, LinkDown, type HubLink } from '../../../electron/device/hub-link'
import { Outbox, type OutboxItem } from '../../../electron/device/outbox'
import { Sender } from '../../../electron/device/sender'
import type { LinkLoss } from '../../../shared/timeline'

/** A hub link whose sends complete when the test says so. */
class FakeLink {
  alive = true
  failed: LinkLoss | null = null
  readonly calls: { what: string; resolve: () => void; reject: (e: Error) => void }[] = []
  sendTelemetry(seq: number) {
    return new Promise<void>((resolve, reject) =>
      this.calls.push({ what: `t${seq}`, resolve, reject }),
    )
  }
  updateReported(patch: Record<string, unknown>) {
    return new Promise<void>((resolve, reject) =>
      this.calls.push({ what: `r${JSON.stringify(patch)}`, resolve, reject }),
    )
  }
  fail(loss: LinkLoss) {
    this.failed = loss
  }
  drop() {
    this.alive = false
    for (const c of this.calls.splice(0)) c.reject(new LinkDown('gone'))
  }
}

const flush = () => new Promise((r) => setImmediate(r))

let dir: string
let outbox: Outbox
let log: string[]
let sender: Sender
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'sender-'))
  outbox = new Outbox(dir, 1000)
  log = []
  sender = new Sender(outbox, {
    sent: (i: OutboxItem, again) => log.push(`sent ${i.id}${again ? ' again' : ''}`),
    acked: (i: OutboxItem) => log.push(`acked ${i.id}`),
    refused: (i: OutboxItem, why) => log.push(`refused ${i.id}: ${why}`),
  })
})
afterEach(() => {
  outbox.close()
  rmSync(dir, { recursive: true, force: true })
})

const tel = (n: number) =>
  sender.push(outbox.add({ kind: 'telemetry', at: n, body: { temp: n } }).item)

describe('Sender', () => {
  it('holds everything while offline, then sends oldest first and trims what is acknowledged', async () => {
    for (let i = 1; i <= 3; i++) tel(i)
    expect(log).toEqual([])
    const link = new FakeLink()
    sender.attach(link as unknown as HubLink)
    expect(link.calls.map((c) => c.what)).toEqual(['t1', 't2', 't3'])
    link.calls.forEach((c) => c.resolve())
    await flush()
    expect(outbox.size).toBe(0)
    await expect(sender.drained()).resolves.toBeUndefined()
  })

  it('re-sends, first and in order, whatever was in flight when the link dropped, and says those may be duplicates', async () => {
    const first = new FakeLink()
    sender.attach(first as unknown as HubLink)
    tel(1)
    tel(2)
    first.calls[0]!.resolve()
    await flush()
    first.drop() // seq 2 was sent; its PUBACK never came
    sender.detach()
    tel(3)
    await flush()
    const second = new FakeLink()
    sender.attach(second as unknown as HubLink)
    expect(second.calls.map((c) => c.what)).toEqual(['t2', 't3'])
    expect(log).toContain('sent 2 again')
    expect(log).not.toContain('sent 3 again')
  })

  it('keeps a lane for reported properties so a slow twin reply does not hold telemetry back', () => {
    const link = new FakeLink()
    sender.attach(link as unknown as HubLink)
    sender.push(outbox.add({ kind: 'reported', at: 1, patch: { battery: 90 } }).item)
    sender.push(outbox.add({ kind: 'reported', at: 2, patch: { battery: 89 } }).item)
    tel(3)
    // One twin request at a time; telemetry goes regardless.
    expect(link.calls.map((c) => c.what)).toEqual(['r{"battery":90}', 't1'])
  })

  it('drops an item the hub refuses for good, and distrusts a link on which a send failed oddly', async () => {
    const link = new FakeLink()
    sender.attach(link as unknown as HubLink)
    sender.push(outbox.add({ kind: 'reported', at: 1, patch: { bad: true } }).item)
    link.calls[0]!.reject(new HubRefused('400: no'))
    await flush()
    expect(log).toContain('refused 1: 400: no')
    expect(outbox.size).toBe(0)
    tel(2)
    link.calls[1]!.reject(new Error('weird'))
    await flush()
    expect(link.failed).toEqual({ kind: 'send-failed', detail: expect.stringMatching(/weird/) })
    expect(outbox.size).toBe(1)
  })
})
