/**
 * Linearizable reads without the log (Raft thesis 6.4). The leader records its commit index
 * (only once an entry of its own term is committed), then confirms it is still leader by a
 * heartbeat round acknowledged by a quorum. Reads arriving while a round is in flight wait and
 * share the next round, so a burst of reads costs one round.
 */
import type { StepContext } from "./output.js"
import { quorumSize } from "./roles.js"
import { broadcastHeartbeat } from "./replication.js"

export const failAllReads = (ctx: StepContext): void => {
  const { state } = ctx
  for (const read of state.pendingReads) {
    ctx.out.readsFailed.push({ requestId: read.requestId, reason: "not-leader", leader: null })
  }
  state.pendingReads = []
  state.readRoundInFlight = 0
}

const completeRound = (ctx: StepContext, round: number): void => {
  const { state } = ctx
  const remaining = []
  for (const read of state.pendingReads) {
    if (read.round !== 0 && read.round <= round) ctx.out.readsReady.push({ requestId: read.requestId, index: read.index })
    else remaining.push(read)
  }
  state.pendingReads = remaining
  state.readRoundInFlight = 0
}

/** Completes the round in flight if a quorum (self included) acknowledged it. */
export const checkReadRound = (ctx: StepContext): void => {
  const { state } = ctx
  const round = state.readRoundInFlight
  if (round === 0) return
  let acks = 1
  for (const progress of state.progress.values()) if (progress.readRoundAcked >= round) acks++
  if (acks < quorumSize(state)) return
  completeRound(ctx, round)
  startReadRoundIfReady(ctx)
}

/** Starts a round for the waiting reads, if none is in flight and this term has a commit. */
export const startReadRoundIfReady = (ctx: StepContext): void => {
  const { state } = ctx
  if (state.role !== "leader" || state.readRoundInFlight !== 0) return
  if (state.log.termAt(state.commitIndex) !== state.term) return
  const waiting = state.pendingReads.filter((read) => read.round === 0)
  if (waiting.length === 0) return
  state.readRound += 1
  state.readRoundInFlight = state.readRound
  for (const read of waiting) {
    read.round = state.readRound
    read.index = state.commitIndex
  }
  if (quorumSize(state) === 1) {
    completeRound(ctx, state.readRound)
    return
  }
  broadcastHeartbeat(ctx)
}

/** Reads that arrived together: each is refused or waits; all that wait can share one round. */
export const handleReadIndex = (ctx: StepContext, requestIds: ReadonlyArray<number>): void => {
  const { state } = ctx
  for (const requestId of requestIds) {
    if (state.role !== "leader") {
      ctx.out.readsFailed.push({ requestId, reason: "not-leader", leader: state.leader })
    } else if (state.pendingReads.length >= state.config.maxPendingReads) {
      ctx.out.readsFailed.push({ requestId, reason: "overloaded", leader: state.self })
    } else {
      state.pendingReads.push({ requestId, round: 0, index: 0 })
    }
  }
  startReadRoundIfReady(ctx)
}
