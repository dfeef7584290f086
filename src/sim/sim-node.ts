/**
 * One simulated node as the network sees it: its liveness, its current inbox, the messages held
 * while it is paused, and its transport counters.
 */
import type { Queue } from "effect"
import type { NodeId } from "../config/servers.js"
import type { Inbound, TransportStats } from "../net/Transport.js"

/**
 * `crashed`: inbound messages are dropped until restart. `paused`: the harness has suspended the
 * node's fibers; inbound messages are held and handed over on resume.
 */
export type SimNodeStatus = "up" | "crashed" | "paused"

export interface HeldDelivery {
  readonly id: number
  readonly inbound: Inbound
  readonly bytes: number
}

export class SimNode implements TransportStats {
  status: SimNodeStatus = "up"
  /** Bumped by every crash and restart: in-flight messages addressed to another incarnation are dropped. */
  incarnation = 0
  held: Array<HeldDelivery> = []
  sentMessages = 0
  sentBytes = 0
  receivedMessages = 0
  receivedBytes = 0
  droppedQueueFull = 0
  rejectedFrames = 0

  constructor(readonly id: NodeId, public inbox: Queue.Queue<Inbound>) {}

  /** Counters are cumulative over restarts, so a test sees the whole run. */
  stats(): TransportStats {
    return {
      sentMessages: this.sentMessages,
      sentBytes: this.sentBytes,
      receivedMessages: this.receivedMessages,
      receivedBytes: this.receivedBytes,
      droppedQueueFull: this.droppedQueueFull,
      rejectedFrames: this.rejectedFrames
    }
  }
}
