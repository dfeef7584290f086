/**
 * Transport: authenticated message passing between the nodes of one cluster.
 * Live layer: persistent TCP links (src/net/tcp-transport.ts). Sim layer: an in-memory network
 * driven by the Clock and a seeded Random (src/sim/network.ts).
 */
import { Context, type Effect } from "effect"
import type { NodeId } from "../config/servers.js"
import type { PeerMessage } from "../wire/messages.js"

export interface Inbound {
  readonly from: NodeId
  readonly message: PeerMessage
}

export interface Outbound {
  readonly to: NodeId
  readonly message: PeerMessage
}

export interface TransportStats {
  readonly sentMessages: number
  readonly sentBytes: number
  readonly receivedMessages: number
  readonly receivedBytes: number
  /** Dropped because a per-peer send queue was full. */
  readonly droppedQueueFull: number
  /** Frames rejected for size, authentication or decoding. */
  readonly rejectedFrames: number
}

export interface TransportShape {
  readonly self: NodeId
  /**
   * Queues a message for a peer and returns at once. If the peer's bounded queue is full the
   * message is dropped and counted: Raft and the failure detector retransmit by design.
   */
  readonly send: (to: NodeId, message: PeerMessage) => Effect.Effect<void>
  /** `send` for many messages at once, in order (one step for a whole Raft batch). */
  readonly sendAll: (messages: ReadonlyArray<Outbound>) => Effect.Effect<void>
  /**
   * The next message from an authenticated peer (waits until one arrives). One fiber receives
   * at a time (the node's dispatcher): the live inbox has a single consumer.
   */
  readonly receive: Effect.Effect<Inbound>
  /** Every message waiting (at least one; waits until one arrives), in arrival order. */
  readonly receiveAll: Effect.Effect<ReadonlyArray<Inbound>>
  readonly stats: Effect.Effect<TransportStats>
}

export class Transport extends Context.Tag("troupe/Transport")<Transport, TransportShape>() {}
