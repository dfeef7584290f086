/**
 * A validated compute call as data, for the broker (Lab03): a node whose pool is saturated can
 * encode a call, send it to a peer (e.g. in a `Forward` peer message with actor "compute"),
 * and the peer decodes it and runs it on its own pool with `Compute.runLocal`.
 */
import { Schema } from "effect"
import type { ComputeHandlers, ComputeOp } from "../../actors/compute.js"
import { GcdResponse } from "../../actors/gcd/index.js"
import { IsPrimeResponse } from "../../actors/prime/index.js"
import { ReverseResponse, SplitResponse } from "../../actors/text/index.js"
import { decodeUnknownTotal } from "../wire/total-decode.js"

export type ComputeInput<Op extends ComputeOp> = Parameters<ComputeHandlers[Op]>[0]
export type ComputeOutput<Op extends ComputeOp> = ReturnType<ComputeHandlers[Op]>

export const ComputeCall = Schema.Union(
  Schema.TaggedStruct("isprime", { n: Schema.BigInt }),
  Schema.TaggedStruct("gcd", { a: Schema.BigInt, b: Schema.BigInt }),
  Schema.TaggedStruct("reverse", { text: Schema.String }),
  Schema.TaggedStruct("split", { text: Schema.String, delim: Schema.optional(Schema.String) })
)
export type ComputeCall = typeof ComputeCall.Type

/** The response Schema of each operation, to encode and decode a forwarded result. */
export const computeResultSchemas = {
  isprime: IsPrimeResponse,
  gcd: GcdResponse,
  reverse: ReverseResponse,
  split: SplitResponse
} as const

/** JSON text of a call, e.g. for `Forward.request`. */
export const encodeComputeCall = Schema.encodeSync(Schema.parseJson(ComputeCall))
/** Decodes a forwarded call; malformed text is a ParseError (count it and drop it). */
export const decodeComputeCall = decodeUnknownTotal(Schema.parseJson(ComputeCall))
