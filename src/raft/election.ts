/**
 * Voting (Raft 5.2, 5.4.1) with pre-vote and the leader lease of check-quorum (thesis 9.6):
 * a node that heard from a live leader within the minimum election timeout ignores
 * (pre-)vote requests, unless the candidate was told to campaign by a leadership transfer.
 */
import type { RequestVote, RequestVoteResponse, TimeoutNow } from "./messages.js"
import { persistHardState, send, type StepContext } from "./output.js"
import { becomeCandidate, becomePreCandidate, checkElectionWon } from "./roles.js"
import type { NodeId, RaftState } from "./types.js"

/** Within the lease a node believes a leader is alive and will not help depose it. */
export const inLeaderLease = (state: RaftState): boolean =>
  state.role === "leader" || (state.leader !== null && state.electionElapsed < state.config.electionTicksMin)

export const handleRequestVote = (ctx: StepContext, from: NodeId, request: RequestVote): void => {
  const { state } = ctx
  const reply = (granted: boolean, term: number) =>
    send(ctx, from, { _tag: "RequestVoteResponse", term, granted, preVote: request.preVote })
  if (request.term < state.term) return reply(false, state.term)
  const canVote = state.vote === request.candidate ||
    (state.vote === null && state.leader === null) ||
    (request.preVote && request.term > state.term)
  const upToDate = state.log.isUpToDate(request.lastLogIndex, request.lastLogTerm)
  if (!canVote || !upToDate) return reply(false, state.term)
  if (request.preVote) return reply(true, request.term)
  state.vote = request.candidate
  persistHardState(ctx)
  state.electionElapsed = 0
  reply(true, state.term)
}

export const handleVoteResponse = (ctx: StepContext, from: NodeId, response: RequestVoteResponse): void => {
  const { state } = ctx
  const expectedRole = response.preVote ? "precandidate" : "candidate"
  const expectedTerm = response.preVote ? state.term + 1 : state.term
  if (state.role !== expectedRole || (response.granted && response.term !== expectedTerm)) return
  if (!state.votes.has(from)) state.votes.set(from, response.granted)
  checkElectionWon(ctx)
}

/** A leader asks this node to take over: campaign at once, past the voters' leases. */
export const handleTimeoutNow = (ctx: StepContext, from: NodeId, message: TimeoutNow): void => {
  const { state } = ctx
  if (state.role === "leader" || message.leader !== from) return
  becomeCandidate(ctx, true)
}

/** Time passes for a non-leader: on election timeout start a pre-vote round. */
export const tickElection = (ctx: StepContext): void => {
  const { state } = ctx
  state.electionElapsed++
  if (state.electionElapsed >= state.randomizedElectionTicks) becomePreCandidate(ctx)
}

