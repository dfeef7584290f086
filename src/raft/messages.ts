/**
 * Raft messages between nodes, as Schemas (the wire form is their JSON encoding).
 * Entry payloads are opaque strings to Raft; the state machine (actors/kv) gives them meaning.
 */
import { Schema } from "effect"

export const NodeId = Schema.String.pipe(Schema.minLength(1), Schema.maxLength(300))
const Term = Schema.Int.pipe(Schema.nonNegative())
const Index = Schema.Int.pipe(Schema.nonNegative())

export const EntryKind = Schema.Literal("command", "noop")

export const Entry = Schema.Struct({
  term: Term,
  index: Index,
  kind: EntryKind,
  data: Schema.String
})
export type Entry = typeof Entry.Type

export const RequestVote = Schema.TaggedStruct("RequestVote", {
  term: Term,
  candidate: NodeId,
  lastLogIndex: Index,
  lastLogTerm: Term,
  /** Pre-vote round (Raft thesis 9.6): no state changes on the voter. */
  preVote: Schema.Boolean,
  /** Sent after TimeoutNow: voters ignore their leader lease (check-quorum) for it. */
  transfer: Schema.Boolean
})

export const RequestVoteResponse = Schema.TaggedStruct("RequestVoteResponse", {
  term: Term,
  granted: Schema.Boolean,
  preVote: Schema.Boolean
})

export const AppendEntries = Schema.TaggedStruct("AppendEntries", {
  term: Term,
  leader: NodeId,
  prevLogIndex: Index,
  prevLogTerm: Term,
  entries: Schema.Array(Entry),
  leaderCommit: Index,
  /** ReadIndex round this message also confirms (0 = none). */
  readRound: Index
})

export const AppendEntriesResponse = Schema.TaggedStruct("AppendEntriesResponse", {
  term: Term,
  success: Schema.Boolean,
  /** On success: the last index known to match the leader. */
  matchIndex: Index,
  /** On failure: fast backtracking hints (Raft paper 5.3, "conflicting term"). */
  conflictIndex: Index,
  conflictTerm: Term,
  /** The follower's last log index, to bound the leader's next guess. */
  lastLogIndex: Index,
  /** On failure: the prevLogIndex that was rejected, so the leader can ignore stale rejections. */
  rejectedIndex: Index,
  readRound: Index
})

export const InstallSnapshot = Schema.TaggedStruct("InstallSnapshot", {
  term: Term,
  leader: NodeId,
  lastIncludedIndex: Index,
  lastIncludedTerm: Term,
  /** Byte offset of this chunk in the snapshot's data. */
  offset: Index,
  data: Schema.String,
  done: Schema.Boolean
})

export const InstallSnapshotResponse = Schema.TaggedStruct("InstallSnapshotResponse", {
  term: Term,
  /** Which snapshot this answers (its lastIncludedIndex), so stale chunk replies are ignored. */
  lastIncludedIndex: Index,
  /** The index the follower now matches (lastIncludedIndex once installed). */
  matchIndex: Index,
  /** The next chunk offset the follower expects. */
  nextOffset: Index,
  done: Schema.Boolean
})

/** Leadership transfer: the target starts an election at once. */
export const TimeoutNow = Schema.TaggedStruct("TimeoutNow", {
  term: Term,
  leader: NodeId
})

export const RaftMessage = Schema.Union(
  RequestVote,
  RequestVoteResponse,
  AppendEntries,
  AppendEntriesResponse,
  InstallSnapshot,
  InstallSnapshotResponse,
  TimeoutNow
)
export type RaftMessage = typeof RaftMessage.Type
export type RequestVote = typeof RequestVote.Type
export type RequestVoteResponse = typeof RequestVoteResponse.Type
export type AppendEntries = typeof AppendEntries.Type
export type AppendEntriesResponse = typeof AppendEntriesResponse.Type
export type InstallSnapshot = typeof InstallSnapshot.Type
export type InstallSnapshotResponse = typeof InstallSnapshotResponse.Type
export type TimeoutNow = typeof TimeoutNow.Type
