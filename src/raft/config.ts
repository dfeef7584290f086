/**
 * The Raft core's own configuration: every timing in ticks, every limit as a count, so the pure
 * core never sees a Duration or a clock. `coreConfigFrom` derives it from the decoded
 * `TroupeConfig.raft`.
 */
import { Duration } from "effect"
import type { TroupeConfig } from "../../config/schema.js"

export interface RaftCoreConfig {
  /** Election timeout is drawn uniformly from [electionTicksMin, electionTicksMax] ticks. */
  readonly electionTicksMin: number
  readonly electionTicksMax: number
  /** The leader sends heartbeats every this many ticks. */
  readonly heartbeatTicks: number
  readonly maxEntriesPerAppend: number
  /** Entry payloads are counted by their string length (UTF-16 units), a close proxy for bytes. */
  readonly maxBytesPerAppend: number
  readonly maxInflightAppends: number
  /** Uncommitted entries a leader accepts before rejecting proposals as overloaded. */
  readonly maxPendingProposals: number
  readonly maxPendingReads: number
  /** Entries handed to the state machine in one step; the rest follow on the next step. */
  readonly maxApplyEntriesPerStep: number
  /** A snapshot being received from a leader larger than this is dropped (and counted). */
  readonly maxSnapshotBytes: number
}

const ticksOf = (duration: Duration.Duration, tickMs: number): number =>
  Math.max(1, Math.round(Duration.toMillis(duration) / tickMs))

export const coreConfigFrom = (raft: TroupeConfig["raft"]): RaftCoreConfig => {
  const tickMs = Math.max(1, Duration.toMillis(raft.tick))
  const electionTicksMin = ticksOf(raft.electionTimeoutMin, tickMs)
  return {
    electionTicksMin,
    electionTicksMax: Math.max(electionTicksMin, ticksOf(raft.electionTimeoutMax, tickMs)),
    heartbeatTicks: ticksOf(raft.heartbeatEvery, tickMs),
    maxEntriesPerAppend: raft.maxEntriesPerAppend,
    maxBytesPerAppend: raft.maxBytesPerAppend,
    maxInflightAppends: raft.maxInflightAppends,
    maxPendingProposals: raft.maxPendingProposals,
    maxPendingReads: raft.maxPendingReads,
    maxApplyEntriesPerStep: raft.maxEntriesPerAppend * raft.maxInflightAppends,
    maxSnapshotBytes: raft.maxSnapshotBytes
  }
}
