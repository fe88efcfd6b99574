/**
 * The telemetry seqs a device has sent, as sorted closed ranges: a device numbering its messages
 * 1, 2, 3… costs one range however long it runs, where a set of every seq grew by one entry per
 * message for good. Past `maxRanges` (only sparse, hostile numbering gets there) the two lowest
 * ranges are joined: the oldest gaps stop being listed, and memory stays bounded.
 */
export class SeqRanges {
  private readonly starts: number[] = []
  private readonly ends: number[] = []

  constructor(private readonly maxRanges = 100_000) {}

  get first(): number | null {
    return this.starts[0] ?? null
  }

  get last(): number | null {
    return this.ends.at(-1) ?? null
  }

  /** Records a seq; false when it was already there. */
  add(seq: number): boolean {
    const n = this.starts.length
    // The common case: the next seq after the last one.
    if (n > 0 && seq === this.ends[n - 1]! + 1) {
      this.ends[n - 1] = seq
      return true
    }
    // The index of the first range that starts after seq.
    let lo = 0
    let hi = n
    while (lo < hi) {
      const mid = (lo + hi) >> 1
      if (this.starts[mid]! <= seq) lo = mid + 1
      else hi = mid
    }
    const before = lo - 1
    if (before >= 0 && seq <= this.ends[before]!) return false
    const joinsBefore = before >= 0 && this.ends[before]! + 1 === seq
    const joinsAfter = lo < n && this.starts[lo]! - 1 === seq
    if (joinsBefore && joinsAfter) {
      this.ends[before] = this.ends[lo]!
      this.starts.splice(lo, 1)
      this.ends.splice(lo, 1)
    } else if (joinsBefore) this.ends[before] = seq
    else if (joinsAfter) this.starts[lo] = seq
    else {
      this.starts.splice(lo, 0, seq)
      this.ends.splice(lo, 0, seq)
      if (this.starts.length > this.maxRanges) {
        this.ends[0] = this.ends[1]!
        this.starts.splice(1, 1)
        this.ends.splice(1, 1)
      }
    }
    return true
  }

  /** The seqs missing between the first and the last, lowest first, at most `limit` of them. */
  missing(limit: number): number[] {
    const out: number[] = []
    for (let i = 1; i < this.starts.length && out.length < limit; i++)
      for (let s = this.ends[i - 1]! + 1; s < this.starts[i]! && out.length < limit; s++)
        out.push(s)
    return out
  }
}
