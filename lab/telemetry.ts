import { createHash } from 'node:crypto'
import { SeqRanges } from './seq-ranges'
import type { HubName } from './types'

export interface TelemetryRecord {
  seq: number | null
  messageId: string | null
  body: unknown
  properties: Record<string, string>
  systemProperties: Record<string, string>
  hub: HubName
  arrivedAt: string
  duplicate: boolean
}

export interface TelemetryStats {
  count: number
  unique: number
  duplicates: number
  firstSeq: number | null
  lastSeq: number | null
  missing: number[]
}

// Missing seqs listed at most; stats keep counting past it.
const missingListed = 1000

/**
 * What all devices' telemetry logs keep together. One device's own bounds (50,000 messages,
 * 64 MiB) times ten thousand devices is no bound at all: the lab keeps a message only while it is
 * among the latest `messages` the lab received from everyone, within `bytes` of text; and a
 * device that sends ids the lab must remember (not `{deviceId}-{seq}`) forgets its own oldest
 * once the lab remembers `ids` of them in all.
 */
export class TelemetryBudget {
  // Arrival order over every log: who holds each message, by the serial it got on arrival.
  private owners: (TelemetryLog | undefined)[] = []
  private serials: number[] = []
  private head = 0
  private nextSerial = 1
  bytes = 0
  kept = 0
  ids = 0

  constructor(
    readonly messages = 200_000,
    readonly maxBytes = 256 * 1024 * 1024,
    readonly maxIds = 1_000_000,
  ) {}

  reserve(): number {
    return this.nextSerial++
  }

  /** A message a log now keeps; older ones anywhere are dropped until the lab is within budget. */
  added(log: TelemetryLog, serial: number, bytes: number): void {
    this.owners.push(log)
    this.serials.push(serial)
    this.bytes += bytes
    this.kept++
    while (
      this.queued > 1 &&
      (this.queued > this.messages || (this.bytes > this.maxBytes && this.kept > 1))
    ) {
      const owner = this.owners[this.head]!
      const s = this.serials[this.head]!
      this.owners[this.head] = undefined
      this.head++
      // Gone already when the device's own bound dropped it first.
      owner.dropIfOldest(s)
    }
    if (this.head > 4096 && this.head * 2 > this.owners.length) {
      this.owners = this.owners.slice(this.head)
      this.serials = this.serials.slice(this.head)
      this.head = 0
    }
  }

  released(bytes: number): void {
    this.bytes -= bytes
    this.kept--
  }

  private get queued(): number {
    return this.owners.length - this.head
  }
}

/**
 * What one device sent, as the lab answers for it: the last `kept` messages (and no more than
 * `keptBytes` of them, since a message may be 256 KB), each kept only as the JSON text made on
 * arrival, so reading tens of thousands is a string join and a message costs its text alone;
 * counters kept as they arrive. Ids of the engine's form `{deviceId}-{seq}` are told apart by
 * their seq (ranges, nearly free); any other id is remembered, the latest `idsRemembered`.
 */
export class TelemetryLog {
  // A queue: texts from `head` on are kept; the dropped prefix is cut off now and then.
  private texts: (string | undefined)[] = []
  private serials: number[] = []
  private head = 0
  private bytes = 0
  count = 0
  private duplicates = 0
  private unique = 0
  /** The latest message ids, oldest first (a Set keeps insertion order). */
  private readonly messageIds = new Set<string>()
  private readonly seqs = new SeqRanges()
  /** Seqs of messages whose id was `{deviceId}-{seq}`: seen again, the id is a duplicate. */
  private readonly idSeqs = new SeqRanges()

  constructor(
    private readonly kept = 50_000,
    private readonly keptBytes = 64 * 1024 * 1024,
    /**
     * How many of the latest message ids a duplicate is looked for among: twenty times what the
     * app's outbox can resend, and a bound on what a device sending unique ids costs the lab.
     */
    private readonly idsRemembered = 200_000,
    private readonly context: { deviceId?: string; budget?: TelemetryBudget } = {},
  ) {}

  private get stored(): number {
    return this.texts.length - this.head
  }

  add(r: Omit<TelemetryRecord, 'duplicate'>): TelemetryRecord {
    const duplicate = this.isDuplicate(r)
    if (r.seq !== null) this.seqs.add(r.seq)
    const record = { ...r, duplicate }
    const text = JSON.stringify(record)
    const budget = this.context.budget
    const serial = budget?.reserve() ?? 0
    this.texts.push(text)
    this.serials.push(serial)
    this.bytes += text.length
    this.count++
    while (this.stored > this.kept || (this.bytes > this.keptBytes && this.stored > 1))
      this.dropOldest()
    budget?.added(this, serial, text.length)
    return record
  }

  private isDuplicate(r: Omit<TelemetryRecord, 'duplicate'>): boolean {
    const { deviceId, budget } = this.context
    let duplicate: boolean
    if (deviceId !== undefined && r.seq !== null && r.messageId === `${deviceId}-${r.seq}`) {
      duplicate = !this.idSeqs.add(r.seq)
      if (!duplicate) this.unique++
    } else {
      // Ids past IoT Hub's 128 characters are remembered by digest, so each costs the same.
      const id =
        r.messageId === null ? null : r.messageId.length <= 128 ? r.messageId : digest(r.messageId)
      duplicate = id !== null && this.messageIds.has(id)
      if (!duplicate && id !== null) {
        this.unique++
        this.messageIds.add(id)
        if (budget) budget.ids++
        while (
          this.messageIds.size > 1 &&
          (this.messageIds.size > this.idsRemembered || (budget && budget.ids > budget.maxIds))
        ) {
          this.messageIds.delete(this.messageIds.values().next().value!)
          if (budget) budget.ids--
        }
      }
    }
    if (duplicate) this.duplicates++
    return duplicate
  }

  /** The lab's budget drops the message with this serial, if this log still keeps it. */
  dropIfOldest(serial: number): void {
    if (this.stored > 0 && this.serials[this.head] === serial) this.dropOldest()
  }

  private dropOldest(): void {
    const length = this.texts[this.head]!.length
    this.bytes -= length
    this.context.budget?.released(length)
    this.texts[this.head] = undefined
    this.head++
    if (this.head > 4096 && this.head * 2 > this.texts.length) {
      this.texts = this.texts.slice(this.head)
      this.serials = this.serials.slice(this.head)
      this.head = 0
    }
  }

  /** The last `limit` records kept, oldest first. */
  list(limit = this.stored): TelemetryRecord[] {
    return this.window(limit).map((t) => JSON.parse(t!) as TelemetryRecord)
  }

  /** The same as JSON text, built from each record's text made on arrival. */
  listJson(limit = this.stored): string {
    return '[' + this.window(limit).join(',') + ']'
  }

  stats(): TelemetryStats {
    return {
      count: this.count,
      unique: this.unique,
      duplicates: this.duplicates,
      firstSeq: this.seqs.first,
      lastSeq: this.seqs.last,
      missing: this.seqs.missing(missingListed),
    }
  }

  private window(limit: number): (string | undefined)[] {
    const n = Math.max(0, Math.min(Math.floor(limit), this.stored))
    return this.texts.slice(this.texts.length - n)
  }
}

const digest = (s: string) => 'sha256:' + createHash('sha256').update(s).digest('base64')
