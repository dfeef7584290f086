/**
 * Leadership transfer (Raft thesis 3.10): the leader stops taking proposals, brings the target
 * up to date, then sends TimeoutNow so the target campaigns at once. Given up after an election
 * timeout (electionTicksMax ticks) so a dead target cannot block proposals for long.
 */
import { send, type StepContext } from "./output.js"
import { sendAppend } from "./replication.js"
import type { NodeId } from "./types.js"

export const abortTransfer = (ctx: StepContext): void => {
  const { state } = ctx
  if (state.transfer === undefined) return
  ctx.out.transferEvents.push({ _tag: "TransferAborted", to: state.transfer.target })
  state.transfer = undefined
}

/** Sends TimeoutNow once the target's log matches the leader's. */
export const maybeSendTimeoutNow = (ctx: StepContext): void => {
  const { state } = ctx
  if (state.transfer === undefined || state.role !== "leader") return
  const progress = state.progress.get(state.transfer.target)
  if (progress === undefined || progress.match !== state.log.lastIndex) return
  send(ctx, state.transfer.target, { _tag: "TimeoutNow", term: state.term, leader: state.self })
}

const mostUpToDatePeer = (ctx: StepContext): NodeId | undefined => {
  let best: NodeId | undefined
  let bestMatch = -1
  for (const [peer, progress] of ctx.state.progress) {
    if (progress.match > bestMatch) {
      best = peer
      bestMatch = progress.match
    }
  }
  return best
}

export const handleTransferLeadership = (ctx: StepContext, to: NodeId | undefined): void => {
  const { state } = ctx
  const reject = (reason: string): void => {
    ctx.out.transferEvents.push({ _tag: "TransferRejected", reason, leader: state.leader })
  }
  if (state.role !== "leader") return reject("not-leader")
  const target = to ?? mostUpToDatePeer(ctx)
  if (target === undefined) return reject("no other member to transfer to")
  if (target === state.self) return reject("already leader")
  if (!state.progress.has(target)) return reject(`${target} is not a member`)
  if (state.transfer?.target === target) return
  abortTransfer(ctx)
  state.transfer = { target, elapsedTicks: 0 }
  ctx.out.transferEvents.push({ _tag: "TransferStarted", to: target })
  sendAppend(ctx, target, false)
  maybeSendTimeoutNow(ctx)
}

export const tickTransfer = (ctx: StepContext): void => {
  const transfer = ctx.state.transfer
  if (transfer === undefined) return
  transfer.elapsedTicks += 1
  if (transfer.elapsedTicks >= ctx.state.config.electionTicksMax) abortTransfer(ctx)
}
