/** A bounded, oldest-out list: what the UI can scroll back through without the engine growing forever. */
export class Ring<T> {
  private items: T[] = []

  constructor(private readonly max: number) {}

  push(item: T): void {
    this.items.push(item)
    // Trim in one go once a whole extra bound has piled up: a push costs O(1) on average
    // instead of shifting every kept item each time (10,000 of them for the timeline).
    if (this.items.length >= this.max * 2) this.items = this.items.slice(-this.max)
  }

  /** Replaces the item with the same id (a status update), or appends it. */
  upsert(item: T & { id: number }): void {
    const i = this.items.findLastIndex((x) => (x as { id?: number }).id === item.id)
    if (i >= this.items.length - this.max && i >= 0) this.items[i] = item
    else this.push(item)
  }

  list(): T[] {
    return this.items.slice(-this.max)
  }
}
