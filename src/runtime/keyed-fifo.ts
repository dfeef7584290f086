/**
 * Values under increasing integer keys (request ids, log indices), mostly taken from the front:
 * what a Map did for the Raft loop's waiting proposals and reads and for the acceptor's requests
 * in flight, without a Map's garbage. V8 links each hash table a Map or Set outgrows (or
 * rehashes to drop deleted entries) to its successor, for iterators. Once one table has been
 * promoted to the old generation, that dead table keeps the next one, and the requests it holds,
 * alive through every young-generation collection until the next full GC: after a write load,
 * a leader serving 20,000 reads a second promoted 5 MB per scavenge, and each scavenge took
 * 10 ms instead of 1. Here a ring buffer clears a value's slot as soon as it is taken, and a
 * ring that grows clears the array it leaves.
 */
export class KeyedFifo<V extends object> {
  private keys: Array<number>
  private values: Array<V | undefined>
  private head = 0
  /** Slots in use from head on, taken ones (undefined values) in the middle included. */
  private used = 0
  private live = 0

  constructor(initialCapacity = 16) {
    const capacity = 2 ** Math.ceil(Math.log2(Math.max(2, initialCapacity)))
    this.keys = new Array<number>(capacity).fill(0)
    this.values = new Array<V | undefined>(capacity).fill(undefined)
  }

  get size(): number {
    return this.live
  }

  /** Adds `value` under `key`, which must be greater than every key already in (else throws). */
  push(key: number, value: V): void {
    if (this.used > 0 && key <= this.keys[this.slot(this.used - 1)]!) {
      throw new RangeError(`KeyedFifo: key ${key} is not above the last key ${this.keys[this.slot(this.used - 1)]}`)
    }
    if (this.used === this.keys.length) this.rebuild()
    const slot = this.slot(this.used)
    this.keys[slot] = key
    this.values[slot] = value
    this.used++
    this.live++
  }

  get(key: number): V | undefined {
    const position = this.find(key)
    return position < 0 ? undefined : this.values[this.slot(position)]
  }

  /** Removes and returns the value under `key` (undefined if there is none). */
  take(key: number): V | undefined {
    const position = this.find(key)
    if (position < 0) return undefined
    const slot = this.slot(position)
    const value = this.values[slot]
    if (value === undefined) return undefined
    this.values[slot] = undefined
    this.live--
    this.trim()
    return value
  }

  firstKey(): number | undefined {
    return this.used === 0 ? undefined : this.keys[this.head]
  }

  lastKey(): number | undefined {
    return this.used === 0 ? undefined : this.keys[this.slot(this.used - 1)]
  }

  firstValue(): V | undefined {
    return this.used === 0 ? undefined : this.values[this.head]
  }

  /** Removes and returns every entry with a key >= `key`, in key order. */
  takeFrom(key: number): Array<[number, V]> {
    return this.entries().filter(([entryKey]) => entryKey >= key).map(([entryKey]) => [entryKey, this.take(entryKey)!])
  }

  /** The entries in key order, as a new array (taking entries while walking it is fine). */
  entries(): Array<[number, V]> {
    const entries: Array<[number, V]> = []
    for (let position = 0; position < this.used; position++) {
      const value = this.values[this.slot(position)]
      if (value !== undefined) entries.push([this.keys[this.slot(position)]!, value])
    }
    return entries
  }

  clear(): void {
    this.values.fill(undefined)
    this.head = 0
    this.used = 0
    this.live = 0
  }

  private slot(position: number): number {
    return (this.head + position) & (this.keys.length - 1)
  }

  /** Position of `key` (binary search: keys are increasing, taken slots keep theirs), or -1. */
  private find(key: number): number {
    let low = 0
    let high = this.used - 1
    while (low <= high) {
      const middle = (low + high) >>> 1
      const found = this.keys[this.slot(middle)]!
      if (found === key) return middle
      if (found < key) low = middle + 1
      else high = middle - 1
    }
    return -1
  }

  /** Drops taken slots from both ends, so the front is always a live entry. */
  private trim(): void {
    while (this.used > 0 && this.values[this.head] === undefined) {
      this.head = (this.head + 1) & (this.keys.length - 1)
      this.used--
    }
    while (this.used > 0 && this.values[this.slot(this.used - 1)] === undefined) this.used--
    if (this.used === 0) this.head = 0
  }

  /**
   * A full ring: into one twice as large, or, if at least half its slots were taken from the
   * middle (a slow entry at the front holds the rest back), into one as large without them.
   */
  private rebuild(): void {
    const capacity = this.live * 2 > this.keys.length ? this.keys.length * 2 : this.keys.length
    const keys = new Array<number>(capacity).fill(0)
    const values = new Array<V | undefined>(capacity).fill(undefined)
    let next = 0
    for (let position = 0; position < this.used; position++) {
      const value = this.values[this.slot(position)]
      if (value === undefined) continue
      keys[next] = this.keys[this.slot(position)]!
      values[next++] = value
    }
    this.used = next
    // The old array may already be in the old generation: cleared, it keeps nothing alive.
    this.values.fill(undefined)
    this.keys = keys
    this.values = values
    this.head = 0
  }
}
