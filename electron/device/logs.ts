/** A bounded, oldest-out list: what the UI can scroll back through without the engine growing forever. */
export class Ring<T> {
  private readonly items: T[] = []

  constructor(private readonly max: number) {}

  push(item: T): void {
    this.items.push(item)
    if (this.items.length > this.max) this.items.splice(0, this.items.length - this.max)
  }

  /** Replaces the item with the same id (a status update), or appends it. */
  upsert(item: T & { id: number }): void {
    const i = this.items.findIndex((x) => (x as { id?: number }).id === item.id)
    if (i >= 0) this.items[i] = item
    else this.push(item)
  }

  list(): T[] {
    return [...this.items]
  }
}
