/**
 * Compaction requested by the shell (Raft 7): the state machine has applied up to `index` and
 * hands over its snapshot; the log prefix is dropped and the snapshot kept for lagging followers.
 */
import type { StepContext } from "./output.js"

export const handleCompact = (ctx: StepContext, index: number, data: string): void => {
  const { state } = ctx
  if (index <= state.log.snapshotIndex) return
  if (index > state.appliedIndex) {
    ctx.out.compactRejected = `index ${index} is beyond the applied index ${state.appliedIndex}`
    return
  }
  const term = state.log.termAt(index)!
  state.log.compactTo(index, term)
  state.snapshot = { index, term, data }
  ctx.out.persist.snapshot = state.snapshot
}
