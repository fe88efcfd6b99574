import { contain, type Log } from './guard'

interface Entry<K> {
  at: number
  key: K
}

// Timers cap at ~24.8 days; a later deadline is waited for in steps of this.
const longestWait = 2 ** 31 - 1

/**
 * Deadlines for many keys on one timer: the earliest due time in a heap, one unref'd timer armed
 * for it. Ten thousand devices with a token expiry or a failover ttl cost ten thousand heap
 * entries, not ten thousand timers. Setting a key again replaces its deadline; a replaced or
 * deleted entry stays in the heap until it comes up (then it is skipped) or the heap is rebuilt.
 */
export class Deadlines<K> {
  private readonly due = new Map<K, number>()
  private heap: Entry<K>[] = []
  private timer: NodeJS.Timeout | null = null
  private armedFor = Infinity

  constructor(
    private readonly log: Log,
    private readonly where: string,
    private readonly fire: (key: K) => void,
  ) {}

  set(key: K, at: number): void {
    this.due.set(key, at)
    this.push({ at, key })
    if (this.heap.length > 2 * this.due.size + 64) this.rebuild()
    this.arm()
  }

  delete(key: K): void {
    this.due.delete(key)
  }

  has(key: K): boolean {
    return this.due.has(key)
  }

  get size(): number {
    return this.due.size
  }

  dispose(): void {
    if (this.timer) clearTimeout(this.timer)
    this.timer = null
    this.armedFor = Infinity
    this.due.clear()
    this.heap = []
  }

  private arm(): void {
    while (this.heap.length > 0 && this.due.get(this.heap[0]!.key) !== this.heap[0]!.at) this.pop()
    const next = this.heap[0]?.at
    if (next === undefined || next >= this.armedFor) return
    if (this.timer) clearTimeout(this.timer)
    this.armedFor = next
    const wait = Math.min(Math.max(0, next - Date.now()), longestWait)
    this.timer = setTimeout(() => this.run(), wait).unref()
  }

  private run(): void {
    this.timer = null
    this.armedFor = Infinity
    const now = Date.now()
    while (this.heap.length > 0 && this.heap[0]!.at <= now) {
      const { at, key } = this.pop()
      if (this.due.get(key) !== at) continue
      this.due.delete(key)
      contain(
        this.log,
        this.where,
        () => this.fire(key),
        () => undefined,
      )
    }
    this.arm()
  }

  private rebuild(): void {
    this.heap = []
    for (const [key, at] of this.due) this.push({ at, key })
  }

  private push(e: Entry<K>): void {
    const h = this.heap
    h.push(e)
    let i = h.length - 1
    while (i > 0) {
      const parent = (i - 1) >> 1
      if (h[parent]!.at <= e.at) break
      h[i] = h[parent]!
      i = parent
    }
    h[i] = e
  }

  private pop(): Entry<K> {
    const h = this.heap
    const top = h[0]!
    const last = h.pop()!
    if (h.length > 0) {
      let i = 0
      for (;;) {
        const l = 2 * i + 1
        const r = l + 1
        let least = i
        const at = (j: number) => (j === i ? last.at : h[j]!.at)
        if (l < h.length && h[l]!.at < at(least)) least = l
        if (r < h.length && h[r]!.at < at(least)) least = r
        if (least === i) break
        h[i] = h[least]!
        i = least
      }
      h[i] = last
    }
    return top
  }
}
