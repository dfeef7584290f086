/**
 * The pure Raft core's single entry point: `step(state, input) -> { state, output }`.
 * No I/O, clock or ambient randomness; the state is updated in place and returned, so a caller
 * must continue with the returned state and drop older references.
 */
import type { RaftMessage } from "./messages.js"
import { emptyOutput, send, type StepContext } from "./output.js"
import { handleCompact } from "./compaction.js"
import { handlePropose } from "./propose.js"
import { handleRequestVote, handleTimeoutNow, handleVoteResponse, inLeaderLease, tickElection } from "./election.js"
import { appendIsWellFormed, handleAppendEntries, handleInstallSnapshot } from "./follower.js"
import { handleReadIndex } from "./read-index.js"
import { handleAppendResponse, handleSnapshotResponse, heartbeatAll, maybeCommit } from "./replication.js"
import { becomeFollower, quorumSize } from "./roles.js"
import { handleTransferLeadership, tickTransfer } from "./transfer.js"
import type { NodeId, RaftInput, RaftOutput, RaftState, SoftState } from "./types.js"

export interface StepResult {
  readonly state: RaftState
  readonly output: RaftOutput
}

export const softStateOf = (state: RaftState): SoftState => ({
  role: state.role === "precandidate" ? "candidate" : state.role,
  term: state.term,
  leader: state.leader
})

/** Check-quorum: a leader that has not heard from a quorum for a whole window steps down. */
const tickLeader = (ctx: StepContext): void => {
  const { state } = ctx
  state.heartbeatElapsed++
  state.electionElapsed++
  tickTransfer(ctx)
  if (state.electionElapsed >= state.config.electionTicksMin) {
    state.electionElapsed = 0
    let active = 1
    for (const progress of state.progress.values()) {
      if (progress.recentActive) active++
      progress.recentActive = false
    }
    if (active < quorumSize(state)) return becomeFollower(ctx, state.term, null)
  }
  if (state.heartbeatElapsed >= state.config.heartbeatTicks) {
    state.heartbeatElapsed = 0
    heartbeatAll(ctx)
  }
}

/** The sender's term against ours (Raft 5.1), with the pre-vote and lease exceptions. */
const handleTerm = (ctx: StepContext, from: NodeId, message: RaftMessage): boolean => {
  const { state } = ctx
  if (message.term > state.term) {
    if (message._tag === "RequestVote") {
      if (inLeaderLease(state) && !message.transfer) return false
      if (message.preVote) return true
      becomeFollower(ctx, message.term, null)
      return true
    }
    if (message._tag === "RequestVoteResponse" && message.preVote && message.granted) return true
    const fromLeader = message._tag === "AppendEntries" || message._tag === "InstallSnapshot" || message._tag === "TimeoutNow"
    becomeFollower(ctx, message.term, fromLeader ? from : null)
    return true
  }
  if (message.term < state.term) {
    // Tell a stale leader about the newer term so it steps down.
    if (message._tag === "AppendEntries" || message._tag === "InstallSnapshot") {
      send(ctx, from, {
        _tag: "AppendEntriesResponse", term: state.term, success: false, matchIndex: 0, conflictIndex: 0,
        conflictTerm: 0, lastLogIndex: state.log.lastIndex, rejectedIndex: 0, readRound: 0
      })
    } else if (message._tag === "RequestVote") {
      handleRequestVote(ctx, from, message)
    }
    return false
  }
  return true
}

const senderIsConsistent = (from: NodeId, message: RaftMessage): boolean => {
  switch (message._tag) {
    case "AppendEntries":
      return message.leader === from && appendIsWellFormed(message)
    case "InstallSnapshot":
    case "TimeoutNow":
      return message.leader === from
    case "RequestVote":
      return message.candidate === from
    default:
      return true
  }
}

/** A current-term message from a leader: follow it (a candidate of the same term gives up). */
const followLeader = (ctx: StepContext, from: NodeId): void => {
  const { state } = ctx
  if (state.role !== "follower" || state.leader !== from) becomeFollower(ctx, state.term, from)
  state.electionElapsed = 0
}

const handleReceive = (ctx: StepContext, from: NodeId, message: RaftMessage): void => {
  const { state } = ctx
  if (!state.peers.includes(from) || !senderIsConsistent(from, message)) {
    state.counters.droppedMessages++
    return
  }
  if (!handleTerm(ctx, from, message)) return
  switch (message._tag) {
    case "RequestVote":
      return handleRequestVote(ctx, from, message)
    case "RequestVoteResponse":
      return handleVoteResponse(ctx, from, message)
    case "AppendEntries":
      if (state.role === "leader") return
      followLeader(ctx, from)
      return handleAppendEntries(ctx, from, message)
    case "InstallSnapshot":
      if (state.role === "leader") return
      followLeader(ctx, from)
      return handleInstallSnapshot(ctx, from, message)
    case "TimeoutNow":
      return handleTimeoutNow(ctx, from, message)
    case "AppendEntriesResponse":
      if (state.role === "leader") handleAppendResponse(ctx, from, message)
      return
    case "InstallSnapshotResponse":
      if (state.role === "leader") handleSnapshotResponse(ctx, from, message)
      return
  }
}

/** Hands newly committed entries to the state machine, bounded per step. */
const collectApply = (ctx: StepContext): void => {
  const { state } = ctx
  const upTo = Math.min(state.commitIndex, state.appliedIndex + state.config.maxApplyEntriesPerStep)
  if (upTo <= state.appliedIndex) return
  for (const entry of state.log.range(state.appliedIndex + 1, upTo)) ctx.out.apply.push(entry)
  state.appliedIndex = upTo
}

const handleLogDurable = (ctx: StepContext, index: number, term: number): void => {
  const { state } = ctx
  // A write of an earlier leadership says nothing about this one's entries.
  if (state.role !== "leader" || term !== state.term || index <= state.durableIndex) return
  state.durableIndex = Math.min(index, state.log.lastIndex)
  maybeCommit(ctx)
}

const dispatch = (ctx: StepContext, input: RaftInput): void => {
  switch (input._tag) {
    case "Tick":
      return ctx.state.role === "leader" ? tickLeader(ctx) : tickElection(ctx)
    case "Receive":
      return handleReceive(ctx, input.from, input.message)
    case "Propose":
      return handlePropose(ctx, input.data)
    case "ReadIndex":
      return handleReadIndex(ctx, input.requestIds)
    case "TransferLeadership":
      return handleTransferLeadership(ctx, input.to)
    case "Compact":
      return handleCompact(ctx, input.index, input.data)
    case "LogDurable":
      return handleLogDurable(ctx, input.index, input.term)
  }
}

export const step = (state: RaftState, input: RaftInput): StepResult => {
  const ctx: StepContext = { state, out: emptyOutput() }
  const before = softStateOf(state)
  dispatch(ctx, input)
  collectApply(ctx)
  const after = softStateOf(state)
  if (after.role !== before.role || after.term !== before.term || after.leader !== before.leader) {
    ctx.out.softState = after
  }
  return { state, output: ctx.out }
}
