/** Read-only views of the core's state, for /status, metrics and the shell. */
import type { RaftState } from "./types.js"

export interface RaftStatus {
  readonly id: string
  /** "precandidate" is reported as "candidate". */
  readonly role: "leader" | "follower" | "candidate"
  readonly term: number
  readonly leader: string | null
  readonly commitIndex: number
  readonly appliedIndex: number
  readonly lastLogIndex: number
  readonly snapshotIndex: number
  readonly droppedMessages: number
}

export const isLeader = (state: RaftState): boolean => state.role === "leader"

export const statusOf = (state: RaftState): RaftStatus => ({
  id: state.self,
  role: state.role === "precandidate" ? "candidate" : state.role,
  term: state.term,
  leader: state.leader,
  commitIndex: state.commitIndex,
  appliedIndex: state.appliedIndex,
  lastLogIndex: state.log.lastIndex,
  snapshotIndex: state.log.snapshotIndex,
  droppedMessages: state.counters.droppedMessages
})

/** Per-follower replication view on a leader (empty otherwise). */
export const followerProgress = (state: RaftState): ReadonlyArray<{ readonly peer: string; readonly match: number; readonly mode: string }> =>
  [...state.progress].map(([peer, progress]) => ({ peer, match: progress.match, mode: progress.mode }))
