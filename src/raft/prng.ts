/**
 * The core's randomness: mulberry32 (src/runtime/mulberry32.ts) with its state kept in the
 * core's own state and advanced functionally, so the same seed gives the same election timeouts.
 */
import { mulberry32Next } from "../runtime/mulberry32.js"

export interface Draw {
  readonly value: number
  readonly seed: number
}

/** A float in [0, 1) and the next seed. */
export const nextFloat = (seed: number): Draw => {
  const step = mulberry32Next(seed)
  return { value: step.value / 4294967296, seed: step.state }
}

/** An integer in [min, max] (inclusive) and the next seed. */
export const nextIntBetween = (seed: number, min: number, max: number): Draw => {
  const draw = nextFloat(seed)
  return { value: min + Math.floor(draw.value * (max - min + 1)), seed: draw.seed }
}
