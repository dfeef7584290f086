/**
 * The set of operations linearized so far on the current search path, as a bitset, with a
 * compact canonical key for the memo.
 *
 * A full bitset per memo entry would cost (operations / 8) bytes each, quadratic memory on a
 * big key. But the search only lifts operations called before the first pending return, so in
 * call order the set is "everything below `firstMissing`" plus a few bits in a window above
 * it. Completed operations get bits in call order; unknown-outcome ones (which may stay pending
 * to the end and would pin `firstMissing`) get their own word-aligned bits after them. The key
 * is (low word, the words of the window, the words of the unknown part); equal keys <=> equal
 * sets, because everything below the low word is all ones and above the window all zeros.
 *
 * Additions and removals are last-in first-out, like the search path itself.
 */
import type { RegisterHistory } from "./register-model.js"

/** A fixed pseudo-random 32-bit value per operation, so a set's hash is an XOR (Zobrist). */
export const mix32 = (seed: number): number => {
  let x = Math.imul(seed ^ (seed >>> 16), 0x7feb352d)
  x = Math.imul(x ^ (x >>> 15), 0x846ca68b)
  return x ^ (x >>> 16)
}

export class LinearizedSet {
  readonly bits: Uint32Array
  /** Words holding completed operations' bits; the unknown-outcome part starts here. */
  readonly definiteWords: number
  /** Hash of the set (XOR of its members' values). */
  hash = 0
  private readonly bitOf: Int32Array
  private readonly memberHash: Int32Array
  private readonly definiteCount: number
  private firstMissing = 0
  /** Highest completed-operation bit in the set after each addition; -1 below the bottom. */
  private readonly highestAt: Int32Array
  private depth = 0

  constructor(history: RegisterHistory) {
    const size = history.size
    const byCall = Array.from({ length: size }, (_, op) => op).sort((a, b) => history.call[a]! - history.call[b]! || a - b)
    const definite = byCall.filter((op) => history.ret[op] !== Infinity)
    const unknown = byCall.filter((op) => history.ret[op] === Infinity)
    this.definiteCount = definite.length
    this.definiteWords = Math.ceil(definite.length / 32)
    this.bits = new Uint32Array(this.definiteWords + Math.ceil(unknown.length / 32))
    this.bitOf = new Int32Array(size)
    definite.forEach((op, bit) => {
      this.bitOf[op] = bit
    })
    unknown.forEach((op, i) => {
      this.bitOf[op] = this.definiteWords * 32 + i
    })
    this.memberHash = new Int32Array(size).map((_, op) => mix32(op + 1))
    this.highestAt = new Int32Array(size + 1).fill(-1)
  }

  get lowWord(): number {
    return this.firstMissing >> 5
  }

  /** Last word of the window (may be below `lowWord`: empty window). */
  get highWord(): number {
    const highest = this.highestAt[this.depth]!
    return highest < 0 ? -1 : highest >> 5
  }

  add(op: number): void {
    const bit = this.bitOf[op]!
    this.bits[bit >> 5]! |= 1 << (bit & 31)
    this.hash ^= this.memberHash[op]!
    const below = this.highestAt[this.depth]!
    this.highestAt[++this.depth] = bit < this.definiteCount && bit > below ? bit : below
    if (bit === this.firstMissing) this.advanceFirstMissing()
  }

  /** Removes `op`, which must be the most recently added member. */
  remove(op: number): void {
    const bit = this.bitOf[op]!
    this.bits[bit >> 5]! &= ~(1 << (bit & 31))
    this.hash ^= this.memberHash[op]!
    this.depth--
    if (bit < this.firstMissing) this.firstMissing = bit
  }

  private advanceFirstMissing(): void {
    let bit = this.firstMissing
    while (bit < this.definiteCount) {
      const word = this.bits[bit >> 5]!
      if (word === 0xffffffff && (bit & 31) === 0) {
        bit += 32
        continue
      }
      if ((word & (1 << (bit & 31))) === 0) break
      bit++
    }
    this.firstMissing = Math.min(bit, this.definiteCount)
  }
}
