/**
 * A seeded PRNG (mulberry32) whose whole state is one 32-bit integer, so the pure core can keep
 * it in its state and advance it functionally: same seed, same election timeouts.
 */

export interface Draw {
  readonly value: number
  readonly seed: number
}

/** A float in [0, 1) and the next seed. */
export const nextFloat = (seed: number): Draw => {
  const next = (seed + 0x6d2b79f5) | 0
  let t = next
  t = Math.imul(t ^ (t >>> 15), t | 1)
  t ^= t + Math.imul(t ^ (t >>> 7), t | 61)
  return { value: ((t ^ (t >>> 14)) >>> 0) / 4294967296, seed: next }
}

/** An integer in [min, max] (inclusive) and the next seed. */
export const nextIntBetween = (seed: number, min: number, max: number): Draw => {
  const draw = nextFloat(seed)
  return { value: min + Math.floor(draw.value * (max - min + 1)), seed: draw.seed }
}
