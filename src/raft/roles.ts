/**
 * Role transitions (Raft 5.2, thesis 9.6 pre-vote). Each resets the timers and the
 * per-role bookkeeping; leaving leadership fails the reads that waited on it.
 */
import { nextIntBetween } from "./prng.js"
import { persistEntries, persistHardState, send, type StepContext } from "./output.js"
import type { NodeId, Progress, RaftState } from "./types.js"
import { failAllReads } from "./read-index.js"
import { broadcastAppend } from "./replication.js"

export const quorumSize = (state: RaftState): number => Math.floor((state.peers.length + 1) / 2) + 1

const resetElectionTimer = (state: RaftState): void => {
  const draw = nextIntBetween(state.rngSeed, state.config.electionTicksMin, state.config.electionTicksMax)
  state.rngSeed = draw.seed
  state.randomizedElectionTicks = draw.value
  state.electionElapsed = 0
  state.heartbeatElapsed = 0
}

/**
 * Reads waiting on this leadership fail. A transfer in progress simply ends: losing leadership
 * is how a successful transfer finishes (softState names the new leader).
 */
const leaveLeadership = (ctx: StepContext): void => {
  const { state } = ctx
  if (state.role !== "leader") return
  failAllReads(ctx)
  state.transfer = undefined
  state.progress.clear()
}

/** Moves to `term` (clearing the vote when the term changes) as a follower of `leader`. */
export const becomeFollower = (ctx: StepContext, term: number, leader: NodeId | null): void => {
  const { state } = ctx
  leaveLeadership(ctx)
  if (term !== state.term) {
    state.term = term
    state.vote = null
    persistHardState(ctx)
  }
  state.role = "follower"
  state.leader = leader
  state.votes.clear()
  resetElectionTimer(state)
}

const requestVotes = (ctx: StepContext, preVote: boolean, transfer: boolean): void => {
  const { state } = ctx
  for (const peer of state.peers) {
    send(ctx, peer, {
      _tag: "RequestVote",
      term: preVote ? state.term + 1 : state.term,
      candidate: state.self,
      lastLogIndex: state.log.lastIndex,
      lastLogTerm: state.log.lastTerm,
      preVote,
      transfer
    })
  }
}

/** Pre-vote round: asks whether an election at term+1 could win, without changing term. */
export const becomePreCandidate = (ctx: StepContext): void => {
  const { state } = ctx
  leaveLeadership(ctx)
  state.role = "precandidate"
  state.leader = null
  state.votes = new Map([[state.self, true]])
  resetElectionTimer(state)
  if (!checkElectionWon(ctx)) requestVotes(ctx, true, false)
}

/** A real election at term+1; `transfer` marks one started by TimeoutNow. */
export const becomeCandidate = (ctx: StepContext, transfer: boolean): void => {
  const { state } = ctx
  leaveLeadership(ctx)
  state.role = "candidate"
  state.term += 1
  state.vote = state.self
  state.leader = null
  persistHardState(ctx)
  state.votes = new Map([[state.self, true]])
  resetElectionTimer(state)
  if (!checkElectionWon(ctx)) requestVotes(ctx, false, transfer)
}

const freshProgress = (next: number): Progress => ({
  match: 0,
  next,
  mode: "probe",
  probeSent: false,
  inflight: [],
  matchAtLastHeartbeat: 0,
  recentActive: true,
  readRoundAcked: 0,
  snapshotIndex: 0,
  snapshotOffset: 0,
  snapshotOffsetAtLastHeartbeat: 0
})

/** Raft 5.4.2: a new leader appends a no-op so entries of earlier terms can commit. */
export const becomeLeader = (ctx: StepContext): void => {
  const { state } = ctx
  state.role = "leader"
  state.leader = state.self
  state.votes.clear()
  resetElectionTimer(state)
  state.progress = new Map(state.peers.map((peer) => [peer, freshProgress(state.log.lastIndex + 1)]))
  state.readRoundInFlight = 0
  // The shell wrote everything before this step (it steps nothing while a write of an earlier role is pending).
  state.durableIndex = state.log.lastIndex
  const noop = { term: state.term, index: state.log.lastIndex + 1, kind: "noop" as const, data: "" }
  state.log.append([noop])
  persistEntries(ctx, [noop])
  broadcastAppend(ctx)
}

/**
 * Counts votes of the current (pre-)election; on a quorum of grants moves on (pre-vote ->
 * election -> leadership), on a quorum of refusals falls back to follower. Returns whether the
 * role changed.
 */
export const checkElectionWon = (ctx: StepContext): boolean => {
  const { state } = ctx
  let granted = 0
  let refused = 0
  for (const vote of state.votes.values()) vote ? granted++ : refused++
  const quorum = quorumSize(state)
  if (granted >= quorum) {
    if (state.role === "precandidate") becomeCandidate(ctx, false)
    else becomeLeader(ctx)
    return true
  }
  if (refused >= quorum) {
    becomeFollower(ctx, state.term, null)
    return true
  }
  return false
}
