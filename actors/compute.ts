/**
 * The stateless compute actors, by operation name: what a worker thread runs. Each handler is
 * pure and takes already validated input (see src/compute/input.ts), so a worker never parses
 * user text and never needs configuration.
 */
import { handleGcd } from "./gcd/index.js"
import { handleIsPrime } from "./prime/index.js"
import { handleReverse, handleSplit } from "./text/index.js"

export const computeHandlers = {
  isprime: handleIsPrime,
  gcd: handleGcd,
  reverse: handleReverse,
  split: handleSplit
} as const

export type ComputeHandlers = typeof computeHandlers
export type ComputeOp = keyof ComputeHandlers
