/**
 * Every message exchanged between troupe nodes, as one tagged union of Schemas.
 * A node decodes each incoming frame against `PeerMessage`; what fails is counted and dropped.
 */
import { Schema } from "effect"
import { RaftMessage } from "../raft/messages.js"

/** Failure-detector heartbeat; `sentAtMs` is the sender's clock, echoed back for RTT. */
export const Ping = Schema.TaggedStruct("Ping", { seq: Schema.Int, sentAtMs: Schema.Finite })
export const Pong = Schema.TaggedStruct("Pong", { seq: Schema.Int, sentAtMs: Schema.Finite })

/**
 * A client request forwarded by a follower to the leader. `request` is the actor's own
 * encoded request (JSON text), opaque to the wire.
 */
export const Forward = Schema.TaggedStruct("Forward", {
  requestId: Schema.Int.pipe(Schema.nonNegative()),
  actor: Schema.String.pipe(Schema.maxLength(64)),
  request: Schema.String
})

/** The leader's answer to a `Forward`: `ok` false carries an error text and HTTP status. */
export const ForwardReply = Schema.TaggedStruct("ForwardReply", {
  requestId: Schema.Int.pipe(Schema.nonNegative()),
  ok: Schema.Boolean,
  status: Schema.Int,
  body: Schema.String
})

export const PeerMessage = Schema.Union(RaftMessage, Ping, Pong, Forward, ForwardReply)
export type PeerMessage = typeof PeerMessage.Type
export type PeerMessageEncoded = typeof PeerMessage.Encoded
