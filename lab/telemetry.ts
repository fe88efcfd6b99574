import { createHash } from 'node:crypto'
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
 * What one device sent, as the lab answers for it: the last `kept` messages (and no more than
 * `keptBytes` of them, since a message may be 256 KB), each serialized once on arrival so reading
 * tens of thousands is a string join, not a walk over every body; counters kept as they arrive.
 */
export class TelemetryLog {
  // A queue: records from `head` on are kept; the dropped prefix is cut off now and then.
  private records: (TelemetryRecord | undefined)[] = []
  private texts: (string | undefined)[] = []
  private head = 0
  private bytes = 0
  count = 0
  private duplicates = 0
  private readonly messageIds = new Set<string>()
  private readonly seqs = new Set<number>()
  private firstSeq: number | null = null
  private lastSeq: number | null = null

  constructor(
    private readonly kept = 50_000,
    private readonly keptBytes = 64 * 1024 * 1024,
  ) {}

  private get stored(): number {
    return this.records.length - this.head
  }

  add(r: Omit<TelemetryRecord, 'duplicate'>): TelemetryRecord {
    // Ids past IoT Hub's 128 characters are remembered by digest, so each costs the same.
    const id =
      r.messageId === null ? null : r.messageId.length <= 128 ? r.messageId : digest(r.messageId)
    const duplicate = id !== null && this.messageIds.has(id)
    if (duplicate) this.duplicates++
    if (id !== null) this.messageIds.add(id)
    if (r.seq !== null) {
      this.seqs.add(r.seq)
      if (this.firstSeq === null || r.seq < this.firstSeq) this.firstSeq = r.seq
      if (this.lastSeq === null || r.seq > this.lastSeq) this.lastSeq = r.seq
    }
    const record = { ...r, duplicate }
    const text = JSON.stringify(record)
    this.records.push(record)
    this.texts.push(text)
    this.bytes += text.length
    this.count++
    while (this.stored > this.kept || (this.bytes > this.keptBytes && this.stored > 1))
      this.dropOldest()
    return record
  }

  private dropOldest(): void {
    this.bytes -= this.texts[this.head]!.length
    this.records[this.head] = undefined
    this.texts[this.head] = undefined
    this.head++
    if (this.head > 4096 && this.head * 2 > this.records.length) {
      this.records = this.records.slice(this.head)
      this.texts = this.texts.slice(this.head)
      this.head = 0
    }
  }

  /** The last `limit` records kept, oldest first. */
  list(limit = this.stored): TelemetryRecord[] {
    return this.window(this.records, limit) as TelemetryRecord[]
  }

  /** The same as JSON text, built from each record's text made on arrival. */
  listJson(limit = this.stored): string {
    return '[' + this.window(this.texts, limit).join(',') + ']'
  }

  stats(): TelemetryStats {
    const missing: number[] = []
    if (this.firstSeq !== null && this.lastSeq !== null) {
      // Bounded by the seqs seen plus the gaps listed, however far apart first and last are.
      for (let s = this.firstSeq; s <= this.lastSeq && missing.length < missingListed; s++)
        if (!this.seqs.has(s)) missing.push(s)
    }
    return {
      count: this.count,
      unique: this.messageIds.size,
      duplicates: this.duplicates,
      firstSeq: this.firstSeq,
      lastSeq: this.lastSeq,
      missing,
    }
  }

  private window<T>(items: T[], limit: number): T[] {
    const n = Math.max(0, Math.min(Math.floor(limit), this.stored))
    return items.slice(items.length - n)
  }
}

const digest = (s: string) => 'sha256:' + createHash('sha256').update(s).digest('base64')
