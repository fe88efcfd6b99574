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
 * What one device sent, as the lab answers for it: the last `kept` messages, each serialized once
 * on arrival (so reading tens of thousands is a string join, not a walk over every body), and
 * counters kept as messages arrive.
 */
export class TelemetryLog {
  // Rings that grow to `kept` and then wrap.
  private readonly records: TelemetryRecord[] = []
  private readonly texts: string[] = []
  private next = 0
  count = 0
  private duplicates = 0
  private readonly messageIds = new Set<string>()
  private readonly seqs = new Set<number>()
  private firstSeq: number | null = null
  private lastSeq: number | null = null

  constructor(private readonly kept = 50_000) {}

  private get stored(): number {
    return this.records.length
  }

  add(r: Omit<TelemetryRecord, 'duplicate'>): TelemetryRecord {
    const duplicate = r.messageId !== null && this.messageIds.has(r.messageId)
    if (duplicate) this.duplicates++
    if (r.messageId !== null) this.messageIds.add(r.messageId)
    if (r.seq !== null) {
      this.seqs.add(r.seq)
      if (this.firstSeq === null || r.seq < this.firstSeq) this.firstSeq = r.seq
      if (this.lastSeq === null || r.seq > this.lastSeq) this.lastSeq = r.seq
    }
    const record = { ...r, duplicate }
    this.records[this.next] = record
    this.texts[this.next] = JSON.stringify(record)
    this.next = (this.next + 1) % this.kept
    this.count++
    return record
  }

  /** The last `limit` records kept, oldest first. */
  list(limit = this.stored): TelemetryRecord[] {
    return this.indexes(limit).map((i) => this.records[i]!)
  }

  /** The same as JSON text, built from each record's text made on arrival. */
  listJson(limit = this.stored): string {
    return (
      '[' +
      this.indexes(limit)
        .map((i) => this.texts[i]!)
        .join(',') +
      ']'
    )
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

  private indexes(limit: number): number[] {
    const size = this.stored
    const n = Math.max(0, Math.min(Math.floor(limit), size))
    if (n === 0) return []
    // Until the ring is full `next` equals its size, so one formula covers both.
    const start = (this.next - n + size) % size
    return Array.from({ length: n }, (_, k) => (start + k) % size)
  }
}
