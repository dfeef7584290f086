/**
 * mulberry32: a seeded PRNG whose whole state is one 32-bit integer. The pure cores keep that
 * integer in their state and the simulation wraps it (src/sim/random.ts); nothing in troupe's
 * protocol code uses Math.random, so a seed replays a run exactly.
 */

/** Pure step: the next 32-bit unsigned output and the next state. */
export const mulberry32Next = (state: number): { readonly value: number; readonly state: number } => {
  const nextState = (state + 0x6d2b79f5) >>> 0
  let mixed = nextState
  mixed = Math.imul(mixed ^ (mixed >>> 15), mixed | 1)
  mixed ^= mixed + Math.imul(mixed ^ (mixed >>> 7), mixed | 61)
  return { value: (mixed ^ (mixed >>> 14)) >>> 0, state: nextState }
}
