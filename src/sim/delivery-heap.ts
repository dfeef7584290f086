/**
 * A binary min-heap of scheduled deliveries ordered by (deliverAtMs, id). The id (a send
 * counter) breaks ties, so messages due at the same instant are delivered in send order and a
 * run is reproducible regardless of how the Clock wakes fibers.
 */

export interface Scheduled {
  readonly deliverAtMs: number
  readonly id: number
}

const before = (a: Scheduled, b: Scheduled): boolean =>
  a.deliverAtMs < b.deliverAtMs || (a.deliverAtMs === b.deliverAtMs && a.id < b.id)

export class DeliveryHeap<A extends Scheduled> {
  private readonly items: Array<A> = []

  get size(): number {
    return this.items.length
  }

  peek(): A | undefined {
    return this.items[0]
  }

  push(item: A): void {
    const items = this.items
    items.push(item)
    let index = items.length - 1
    while (index > 0) {
      const parent = (index - 1) >> 1
      if (!before(items[index]!, items[parent]!)) break
      this.swap(index, parent)
      index = parent
    }
  }

  pop(): A | undefined {
    const items = this.items
    const top = items[0]
    const last = items.pop()
    if (top === undefined || last === undefined || items.length === 0) return top
    items[0] = last
    let index = 0
    for (;;) {
      const left = 2 * index + 1
      const right = left + 1
      let smallest = index
      if (left < items.length && before(items[left]!, items[smallest]!)) smallest = left
      if (right < items.length && before(items[right]!, items[smallest]!)) smallest = right
      if (smallest === index) break
      this.swap(index, smallest)
      index = smallest
    }
    return top
  }

  private swap(a: number, b: number): void {
    const items = this.items
    const held = items[a]!
    items[a] = items[b]!
    items[b] = held
  }
}
