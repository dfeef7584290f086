/**
 * A small seeded PRNG (mulberry32) for simulations. Math.random and the wall clock are never
 * used by the sim: the same seed and the same sequence of calls give the same numbers on every
 * platform, which is what makes a failing sim run replayable from its printed seed.
 *
 * `mulberry32Next` is the pure step; `Prng` is a mutable convenience wrapper over it for shells.
 */

import { mulberry32Next } from "../runtime/mulberry32.js"

export { mulberry32Next }

/** FNV-1a over a string's UTF-16 code units: turns labels and text seeds into 32-bit seeds. */
export const hashString32 = (text: string, basis = 0x811c9dc5): number => {
  let hash = basis >>> 0
  for (let index = 0; index < text.length; index++) {
    hash ^= text.charCodeAt(index)
    hash = Math.imul(hash, 0x01000193) >>> 0
  }
  return hash >>> 0
}

/** Accepts any integer or a text seed (e.g. from an environment variable) and folds it to 32 bits. */
export const normalizeSeed = (seed: number | string): number =>
  typeof seed === "string" ? hashString32(seed) : (Math.trunc(seed) ^ Math.trunc(seed / 0x100000000)) >>> 0

export class Prng {
  private state: number

  constructor(seed: number | string) {
    this.state = normalizeSeed(seed)
  }

  nextUint32(): number {
    const step = mulberry32Next(this.state)
    this.state = step.state
    return step.value
  }

  /** Uniform in [0, 1). */
  nextFloat(): number {
    return this.nextUint32() / 0x100000000
  }

  /** Uniform integer in [min, max], both inclusive; min > max is treated as min. */
  nextIntBetween(min: number, max: number): number {
    if (max <= min) return min
    return min + Math.floor(this.nextFloat() * (max - min + 1))
  }

  /** True with probability `probability` (0 never, 1 always). */
  chance(probability: number): boolean {
    return this.nextFloat() < probability
  }

  /**
   * An independent stream derived from this one's current state and a label, without advancing
   * this stream: e.g. one stream per node, so adding a node does not shift the others' numbers.
   */
  fork(label: string): Prng {
    return new Prng(hashString32(label, this.state ^ 0x9e3779b9))
  }

  /** The current state, to print or to resume a stream exactly. */
  get currentState(): number {
    return this.state
  }
}
