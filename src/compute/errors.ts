/**
 * The one typed error of the compute actors. It is a Schema so it crosses the RPC boundary
 * intact; `reason` lets callers tell bad input (do not retry) from load (retry elsewhere).
 */
import { Schema } from "effect"

export const ComputeErrorReason = Schema.Literal(
  /** The input is not a number, too long, or otherwise unacceptable. */
  "BadInput",
  /** The pool's queue is full: back off or try another node. */
  "Busy",
  /** The call did not finish within `compute.callTimeout`. */
  "Timeout",
  /** The worker running the call died; it has been replaced. */
  "WorkerCrashed",
  /** The handler threw, or the pool is shutting down. */
  "Failed"
)
export type ComputeErrorReason = typeof ComputeErrorReason.Type

export class ComputeError extends Schema.TaggedError<ComputeError>()("ComputeError", {
  reason: ComputeErrorReason,
  message: Schema.String
}) {}

export const badInput = (message: string): ComputeError => new ComputeError({ reason: "BadInput", message })
