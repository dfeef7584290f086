/**
 * The log as the WAL sees it: a dense run of items by Raft index, with the three edits WAL
 * records make. Used with whole entries while replaying and with terms only while writing.
 */
export class DenseLog<T> {
  private first = 0
  private items: Array<T> = []

  get isEmpty(): boolean {
    return this.items.length === 0
  }

  get length(): number {
    return this.items.length
  }

  /** Index of the first item; undefined when empty. */
  get firstIndex(): number | undefined {
    return this.items.length === 0 ? undefined : this.first
  }

  /** Index of the last item; undefined when empty. */
  get lastIndex(): number | undefined {
    return this.items.length === 0 ? undefined : this.first + this.items.length - 1
  }

  at(index: number): T | undefined {
    return index < this.first ? undefined : this.items[index - this.first]
  }

  /** Removes every item with index >= `index`. */
  truncateFrom(index: number): void {
    if (this.items.length === 0) return
    this.items.length = Math.max(0, Math.min(this.items.length, index - this.first))
  }

  /** Removes every item with index <= `index` (compaction under a snapshot). */
  dropThrough(index: number): void {
    const count = Math.min(this.items.length, index - this.first + 1)
    if (count <= 0) return
    this.items.splice(0, count)
    this.first += count
  }

  /**
   * Writes `items` starting at `firstIndex`: entries at or after it are replaced (Raft's
   * conflicting suffix). A log that is empty or ends before `firstIndex - 1` restarts at
   * `firstIndex`; that only happens right after a snapshot reset the log.
   */
  append(firstIndex: number, items: ReadonlyArray<T>): void {
    if (items.length === 0) return
    const last = this.lastIndex
    if (last === undefined || firstIndex > last + 1 || firstIndex < this.first) {
      this.first = firstIndex
      this.items = [...items]
      return
    }
    this.truncateFrom(firstIndex)
    for (const item of items) this.items.push(item)
  }

  toArray(): ReadonlyArray<T> {
    return this.items.slice()
  }
}

export interface SnapshotPoint {
  readonly index: number
  readonly term: number
}

/**
 * Raft's rule for installing a snapshot (Raft paper, section 7): if the log holds the snapshot's
 * last entry with the same term, the entries after it stay; otherwise the whole log goes. A log
 * that starts right after the snapshot was already reset by it and stays too.
 */
export const logSurvivesSnapshot = <T>(log: DenseLog<T>, termOf: (item: T) => number, snapshot: SnapshotPoint): boolean => {
  if (log.isEmpty) return true
  const atSnapshot = log.at(snapshot.index)
  return atSnapshot !== undefined ? termOf(atSnapshot) === snapshot.term : log.firstIndex === snapshot.index + 1
}
