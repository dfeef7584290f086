/**
 * The search memo: every (set of linearized operations, register state) pair seen so far.
 * Reaching a pair twice means the same future, so the search prunes it (Lowe's improvement to
 * Wing & Gong; Porcupine's `cache`). Sets are stored by their compact key (see
 * linearized-set.ts) in flat typed arrays, so millions of entries cost bytes, not objects, and
 * the size is bounded: past `maxBytes` the caller gives up.
 */
import type { LinearizedSet } from "./linearized-set.js"
import { mix32 } from "./linearized-set.js"

export const CacheAdd = { present: 0, added: 1, full: -1 } as const
export type CacheAdd = (typeof CacheAdd)[keyof typeof CacheAdd]

const initialEntries = 1024
const initialWords = 16 * 1024
const EMPTY = -1
/** chain, hash, state, low word, offset (5 x 4 bytes) + two bucket slots. */
const bytesPerEntry = 5 * 4 + 2 * 4

const grown = <T extends Int32Array | Uint32Array>(old: T, length: number, make: (length: number) => T): T => {
  const next = make(length)
  next.set(old)
  return next
}

export class MemoCache {
  private count = 0
  private entryCapacity = initialEntries
  private buckets = new Int32Array(2 * initialEntries).fill(EMPTY)
  private chain = new Int32Array(initialEntries)
  private hashes = new Int32Array(initialEntries)
  private states = new Int32Array(initialEntries)
  private lowWords = new Int32Array(initialEntries)
  /** Entry i's key words are words[offsets[i] .. offsets[i + 1]). */
  private offsets = new Int32Array(initialEntries + 1)
  private words = new Uint32Array(initialWords)

  constructor(private readonly maxBytes: number) {}

  get size(): number {
    return this.count
  }

  get bytes(): number {
    return this.entryCapacity * bytesPerEntry + this.words.length * 4
  }

  /** Adds the pair (set, state) unless it is there already. */
  add(set: LinearizedSet, state: number): CacheAdd {
    const hash = set.hash ^ mix32(state ^ 0x5bd1e995)
    const low = set.lowWord
    const high = Math.max(set.highWord, low - 1)
    const keyLength = high - low + 1 + set.bits.length - set.definiteWords
    for (let entry = this.buckets[hash & (this.buckets.length - 1)]!; entry !== EMPTY; entry = this.chain[entry]!) {
      if (this.hashes[entry] !== hash || this.states[entry] !== state || this.lowWords[entry] !== low) continue
      if (this.offsets[entry + 1]! - this.offsets[entry]! === keyLength && this.sameKey(entry, set, low, high)) {
        return CacheAdd.present
      }
    }
    const offset = this.offsets[this.count]!
    if (!this.reserve(offset + keyLength)) return CacheAdd.full
    const entry = this.count++
    this.words.set(set.bits.subarray(low, high + 1), offset)
    this.words.set(set.bits.subarray(set.definiteWords), offset + high - low + 1)
    this.offsets[entry + 1] = offset + keyLength
    this.hashes[entry] = hash
    this.states[entry] = state
    this.lowWords[entry] = low
    this.link(entry)
    return CacheAdd.added
  }

  private sameKey(entry: number, set: LinearizedSet, low: number, high: number): boolean {
    let at = this.offsets[entry]!
    for (let w = low; w <= high; w++) if (this.words[at++] !== set.bits[w]) return false
    for (let w = set.definiteWords; w < set.bits.length; w++) if (this.words[at++] !== set.bits[w]) return false
    return true
  }

  private link(entry: number): void {
    const slot = this.hashes[entry]! & (this.buckets.length - 1)
    this.chain[entry] = this.buckets[slot]!
    this.buckets[slot] = entry
  }

  /** Room for one more entry whose key ends at word `wordsEnd`, within the byte budget. */
  private reserve(wordsEnd: number): boolean {
    const entryCapacity = this.count === this.entryCapacity ? 2 * this.entryCapacity : this.entryCapacity
    let wordCapacity = this.words.length
    while (wordCapacity < wordsEnd) wordCapacity *= 2
    if (entryCapacity * bytesPerEntry + wordCapacity * 4 > this.maxBytes) return false
    if (wordCapacity !== this.words.length) this.words = grown(this.words, wordCapacity, (l) => new Uint32Array(l))
    if (entryCapacity !== this.entryCapacity) this.growEntries(entryCapacity)
    return true
  }

  private growEntries(capacity: number): void {
    this.chain = grown(this.chain, capacity, (l) => new Int32Array(l))
    this.hashes = grown(this.hashes, capacity, (l) => new Int32Array(l))
    this.states = grown(this.states, capacity, (l) => new Int32Array(l))
    this.lowWords = grown(this.lowWords, capacity, (l) => new Int32Array(l))
    this.offsets = grown(this.offsets, capacity + 1, (l) => new Int32Array(l))
    this.entryCapacity = capacity
    this.buckets = new Int32Array(2 * capacity).fill(EMPTY)
    for (let entry = 0; entry < this.count; entry++) this.link(entry)
  }
}
