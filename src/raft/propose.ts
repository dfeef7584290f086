/**
 * Client proposals on the leader: appended at once (the shell persists before sending, so the
 * leader's own copy counts toward commit), refused with a reason and the known leader otherwise.
 * The uncommitted tail is bounded by maxPendingProposals.
 */
import { persistEntries, type StepContext } from "./output.js"
import { sendAppend } from "./replication.js"
import type { RejectReason } from "./types.js"
import { utf8Bytes } from "./utf8.js"

export const handlePropose = (ctx: StepContext, data: ReadonlyArray<string>): void => {
  const { state } = ctx
  const reject = (reason: RejectReason): void => {
    ctx.out.proposalRejected = { reason, leader: state.leader }
  }
  if (state.role !== "leader") return reject("not-leader")
  if (state.transfer !== undefined) return reject("transferring")
  if (data.length === 0) return
  if (data.some((item) => utf8Bytes(item) > state.config.maxBytesPerAppend)) return reject("too-large")
  const uncommitted = state.log.lastIndex - state.commitIndex
  if (uncommitted + data.length > state.config.maxPendingProposals) return reject("overloaded")
  const firstIndex = state.log.lastIndex + 1
  const entries = data.map((item, offset) => ({ term: state.term, index: firstIndex + offset, kind: "command" as const, data: item }))
  state.log.append(entries)
  persistEntries(ctx, entries)
  ctx.out.proposed = { term: state.term, firstIndex, lastIndex: state.log.lastIndex }
  for (const peer of state.peers) sendAppend(ctx, peer, false)
}
