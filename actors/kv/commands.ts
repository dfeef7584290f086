/**
 * The KV actor's messages. Writes go through the Raft log as `KvCommand` JSON; reads are answered
 * by the leader after a ReadIndex round, never from the log.
 */
import { Schema } from "effect"

/**
 * Who issued a write: the pair makes a retried write apply once (exactly-once). Writes from plain
 * HTTP clients carry none (they cannot retry safely anyway); troupe's client and SDK always do.
 */
const ClientId = Schema.String.pipe(Schema.minLength(1), Schema.maxLength(64))
const Seq = Schema.Int.pipe(Schema.positive())
const Session = { client: Schema.optional(ClientId), seq: Schema.optional(Seq) }

export const Put = Schema.TaggedStruct("put", { key: Schema.String, value: Schema.String, ...Session })
export const Del = Schema.TaggedStruct("del", { key: Schema.String, ...Session })
export const Cas = Schema.TaggedStruct("cas", {
  key: Schema.String,
  /** null: succeed only if the key is absent. */
  expect: Schema.NullOr(Schema.String),
  /** null: delete on success. */
  value: Schema.NullOr(Schema.String),
  ...Session
})
export const KvCommand = Schema.Union(Put, Del, Cas)
export type KvCommand = typeof KvCommand.Type

export const Get = Schema.TaggedStruct("get", { key: Schema.String })
export const Size = Schema.TaggedStruct("size", {})
export const Keys = Schema.TaggedStruct("keys", { prefix: Schema.String })
export const Verify = Schema.TaggedStruct("verify", { client: ClientId, seq: Seq })
export const KvQuery = Schema.Union(Get, Size, Keys, Verify)
export type KvQuery = typeof KvQuery.Type

export const KvRequest = Schema.Union(Put, Del, Cas, Get, Size, Keys, Verify)
export type KvRequest = typeof KvRequest.Type

/** put/del: the old value; cas: whether it swapped (and the value before); get: the value. */
export const KvResult = Schema.Union(
  Schema.TaggedStruct("value", { value: Schema.NullOr(Schema.String) }),
  Schema.TaggedStruct("swapped", { swapped: Schema.Boolean, previous: Schema.NullOr(Schema.String) }),
  Schema.TaggedStruct("count", { count: Schema.Int }),
  Schema.TaggedStruct("keys", { keys: Schema.Array(Schema.String), truncated: Schema.Boolean }),
  Schema.TaggedStruct("applied", { applied: Schema.Boolean }),
  Schema.TaggedStruct("refused", { reason: Schema.String })
)
export type KvResult = typeof KvResult.Type

export const isWrite = (request: KvRequest): request is KvCommand =>
  request._tag === "put" || request._tag === "del" || request._tag === "cas"
