/**
 * The typed SDK's KV surface: one RPC taking any KvRequest (get, put, del, cas, size, keys,
 * verify) and answering its KvResult, with one typed error. Served by every node at /rpc.
 */
import { Rpc, RpcGroup } from "@effect/rpc"
import { Schema } from "effect"
import { KvRequest, KvResult } from "../../actors/kv/commands.js"

export const KvErrorReason = Schema.Literal(
  /** The request itself is wrong: do not retry. */
  "BadRequest",
  /** No leader, no quorum, overload or suspension: retry later or elsewhere. */
  "Unavailable",
  /** A write whose outcome is unknown: retry with the same client id and seq (exactly-once). */
  "Unknown"
)

export class KvError extends Schema.TaggedError<KvError>()("KvError", {
  reason: KvErrorReason,
  message: Schema.String,
  /** The leader's host:port when the node knows it. */
  leader: Schema.NullOr(Schema.String)
}) {}

export class KvRpcs extends RpcGroup.make(
  Rpc.make("Kv", { payload: { request: KvRequest }, success: KvResult, error: KvError })
) {}
