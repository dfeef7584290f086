/**
 * The in-memory Raft log: a snapshot point (index and term of the last compacted entry) and the
 * entries after it. It is MUTABLE for speed (the log may hold 100k entries and a step must not
 * copy it); the core owns it and a caller must not keep using an old `RaftState` after `step`.
 *
 * Entry terms are non-decreasing along the log, so term searches are binary searches.
 */
import type { Entry } from "./messages.js"
import { utf8Bytes } from "./utf8.js"

export class RaftLog {
  private entries: Array<Entry>

  constructor(
    private snapshotIndexValue: number,
    private snapshotTermValue: number,
    entries: ReadonlyArray<Entry>
  ) {
    this.entries = entries.slice()
  }

  get snapshotIndex(): number {
    return this.snapshotIndexValue
  }

  get snapshotTerm(): number {
    return this.snapshotTermValue
  }

  get firstIndex(): number {
    return this.snapshotIndexValue + 1
  }

  get lastIndex(): number {
    return this.snapshotIndexValue + this.entries.length
  }

  get lastTerm(): number {
    const last = this.entries[this.entries.length - 1]
    return last === undefined ? this.snapshotTermValue : last.term
  }

  /** The term at `index`, or undefined if it was compacted away or is past the end. */
  termAt(index: number): number | undefined {
    if (index === this.snapshotIndexValue) return this.snapshotTermValue
    if (index < this.snapshotIndexValue || index > this.lastIndex) return undefined
    return this.entries[index - this.snapshotIndexValue - 1]!.term
  }

  entryAt(index: number): Entry | undefined {
    if (index <= this.snapshotIndexValue) return undefined
    return this.entries[index - this.snapshotIndexValue - 1]
  }

  /**
   * Entries from `from` on, at most `maxEntries` and `maxBytes` of payload (but at least one
   * entry if any exists, so an oversized entry still moves). `from` must be > snapshotIndex.
   */
  slice(from: number, maxEntries: number, maxBytes: number): Array<Entry> {
    const start = from - this.snapshotIndexValue - 1
    const result: Array<Entry> = []
    let bytes = 0
    for (let i = Math.max(0, start); i < this.entries.length && result.length < maxEntries; i++) {
      const entry = this.entries[i]!
      bytes += utf8Bytes(entry.data)
      if (result.length > 0 && bytes > maxBytes) break
      result.push(entry)
    }
    return result
  }

  /** Entries in [from, to] (inclusive), both within the log. */
  range(from: number, to: number): Array<Entry> {
    const offset = this.snapshotIndexValue + 1
    return this.entries.slice(Math.max(0, from - offset), Math.max(0, to - offset + 1))
  }

  append(entries: ReadonlyArray<Entry>): void {
    for (const entry of entries) this.entries.push(entry)
  }

  /** Drops entries at `from` and after. */
  truncateFrom(from: number): void {
    this.entries.length = Math.max(0, from - this.snapshotIndexValue - 1)
  }

  /** Drops entries up to `index` (which becomes the snapshot point with `term`). */
  compactTo(index: number, term: number): void {
    const drop = Math.min(this.entries.length, index - this.snapshotIndexValue)
    if (drop > 0) this.entries.splice(0, drop)
    this.snapshotIndexValue = index
    this.snapshotTermValue = term
  }

  /** Replaces the whole log by a snapshot point with no entries after it. */
  reset(index: number, term: number): void {
    this.entries = []
    this.snapshotIndexValue = index
    this.snapshotTermValue = term
  }

  /**
   * The smallest index >= `lowerBound` whose term is >= `term` (lastIndex + 1 if none).
   * Binary search: entry terms never decrease along the log.
   */
  firstIndexWithTermAtLeast(term: number, lowerBound: number): number {
    let low = Math.max(lowerBound, this.firstIndex)
    let high = this.lastIndex + 1
    while (low < high) {
      const middle = (low + high) >>> 1
      if (this.termAt(middle)! >= term) high = middle
      else low = middle + 1
    }
    return low
  }

  /** The largest index <= `upperBound` holding `term`, or undefined if the log has none. */
  lastIndexOfTerm(term: number, upperBound: number): number | undefined {
    const bound = Math.min(upperBound, this.lastIndex)
    if (bound < this.snapshotIndexValue) return undefined
    // First index whose term exceeds `term`, minus one, is the last index with term <= `term`.
    let low = this.snapshotIndexValue
    let high = bound
    while (low < high) {
      const middle = (low + high + 1) >>> 1
      if (this.termAt(middle)! <= term) low = middle
      else high = middle - 1
    }
    return this.termAt(low) === term ? low : undefined
  }

  /** Raft 5.4.1: is a log ending at (lastIndex, lastTerm) at least as up to date as this one? */
  isUpToDate(lastIndex: number, lastTerm: number): boolean {
    return lastTerm > this.lastTerm || (lastTerm === this.lastTerm && lastIndex >= this.lastIndex)
  }
}
