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
  private unique = 0
  /** The latest message ids, oldest first (a Set keeps insertion order). */
  private readonly messageIds = new Set<string>()
  private readonly seqs = new SeqRanges()

  constructor(
    private readonly kept = 50_000,
    private readonly keptBytes = 64 * 1024 * 1024,
    /**
     * How many of the latest message ids a duplicate is looked for among: twenty times what the
     * app's outbox can resend, and a bound on what a device sending unique ids costs the lab.
     */
    private readonly idsRemembered = 200_000,
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
    else if (id !== null) {
      this.unique++
      this.messageIds.add(id)
      if (this.messageIds.size > this.idsRemembered)
        this.messageIds.delete(this.messageIds.values().next().value!)
    }
    if (r.seq !== null) this.seqs.add(r.seq)
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
    return {
      count: this.count,
      unique: this.unique,
      duplicates: this.duplicates,
      firstSeq: this.seqs.first,
      lastSeq: this.seqs.last,
      missing: this.seqs.missing(missingListed),
    }
  }

  private window<T>(items: T[], limit: number): T[] {
    const n = Math.max(0, Math.min(Math.floor(limit), this.stored))
    return items.slice(items.length - n)
  }
}

const digest = (s: string) => 'sha256:' + createHash('sha256').update(s).digest('base64')
