import type { NewItem, Outbox, OutboxItem } from './outbox'
import type { Sender } from './sender'

export interface GroupCommitHooks {
  /** Items the outbox let go to stay within its bound, oldest first (already off the sender). */
  dropped(items: OutboxItem[]): void
  /** A group could not be journaled (a full disk): none of it exists, nothing was numbered. */
  failed(error: Error, inputs: NewItem[]): void
}

/**
 * Journals together what is produced in one turn of the event loop: one write and one fsync for
 * all of it (Outbox.addBatch), where one each would cap a burst at the disk's fsync rate. Each
 * item is handed to the sender, and to its producer's callback, only once it is on disk: nothing
 * goes on the wire, and nothing is reported as queued, before it would survive a crash.
 *
 * A group holds at most `maxGroup` items; a bigger burst is committed a group per turn, so the
 * first group is on the wire while the next is being journaled instead of after all of them.
 */
export class GroupCommit {
  private inputs: NewItem[] = []
  private callbacks: (((item: OutboxItem) => void) | undefined)[] = []
  private scheduled: NodeJS.Immediate | null = null

  constructor(
    private readonly outbox: Outbox,
    private readonly sender: Sender,
    private readonly hooks: GroupCommitHooks,
    private readonly maxGroup = 1024,
  ) {}

  add(input: NewItem, journaled?: (item: OutboxItem) => void): void {
    this.inputs.push(input)
    this.callbacks.push(journaled)
    // After the poll phase: every timer and I/O callback of this turn has had its say.
    this.scheduled ??= setImmediate(() => this.commitGroup())
  }

  /** Commits everything waiting now (what a session closing must do before the outbox closes). */
  flush(): void {
    while (this.inputs.length) this.commitGroup()
  }

  private commitGroup(): void {
    if (this.scheduled) clearImmediate(this.scheduled)
    this.scheduled = null
    const inputs = this.inputs.splice(0, this.maxGroup)
    const callbacks = this.callbacks.splice(0, this.maxGroup)
    if (this.inputs.length) this.scheduled = setImmediate(() => this.commitGroup())
    if (inputs.length === 0) return
    let committed: ReturnType<Outbox['addBatch']>
    try {
      committed = this.outbox.addBatch(inputs)
    } catch (e) {
      this.hooks.failed(e as Error, inputs)
      return
    }
    if (committed.dropped.length) {
      this.sender.forget(committed.dropped)
      this.hooks.dropped(committed.dropped)
    }
    // Producers first (on disk already): what they record about an item exists before the
    // sender's first hook about it can arrive.
    committed.items.forEach((item, i) => callbacks[i]?.(item))
    this.sender.pushAll(committed.items)
  }
}
