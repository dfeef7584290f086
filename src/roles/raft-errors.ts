/** Why the Raft role could not serve a proposal or a read; each maps to an HTTP 503 or a redirect. */
import { Data } from "effect"
import type { NodeId } from "../config/servers.js"

export class NotLeader extends Data.TaggedError("NotLeader")<{ readonly leader: NodeId | null }> {
  override get message(): string {
    return this.leader === null ? "no leader is known (no quorum?)" : `not the leader; the leader is ${this.leader}`
  }
}

export class RaftBusy extends Data.TaggedError("RaftBusy")<{ readonly reason: string }> {
  override get message(): string {
    return `busy: ${this.reason}`
  }
}

/** The entry was overwritten by another leader's: the proposal did not take effect. */
export class ProposalLost extends Data.TaggedError("ProposalLost")<{ readonly index: number }> {
  override get message(): string {
    return `leadership changed before the write at index ${this.index} committed; it did not take effect`
  }
}

/** The write may or may not have taken effect (the node lost track of it); a retry with the same
 * client id and seq is safe. */
export class OutcomeUnknown extends Data.TaggedError("OutcomeUnknown")<{ readonly index: number }> {
  override get message(): string {
    return this.index === 0
      ? "the write did not commit within raft.proposalTimeout; it may or may not take effect"
      : `lost track of the write at index ${this.index}; it may or may not have taken effect`
  }
}

export class Suspended extends Data.TaggedError("Suspended")<{ readonly untilMs: number }> {
  override get message(): string {
    return "node is suspended"
  }
}

export type RaftUnavailable = NotLeader | RaftBusy | ProposalLost | OutcomeUnknown | Suspended
