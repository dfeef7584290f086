/**
 * Building one step's output. Persist records are kept consistent within a step: a truncation
 * also drops entries queued for append at or after it.
 */
import type { Entry, RaftMessage } from "./messages.js"
import type { NodeId, RaftOutput, RaftState } from "./types.js"

/** What every handler works on during one step. */
export interface StepContext {
  readonly state: RaftState
  readonly out: RaftOutput
}

export const emptyOutput = (): RaftOutput => ({
  persist: { entries: [] },
  messages: [],
  apply: [],
  readsReady: [],
  readsFailed: [],
  transferEvents: []
})

export const send = (ctx: StepContext, to: NodeId, message: RaftMessage): void => {
  ctx.out.messages.push({ to, message })
}

export const persistHardState = (ctx: StepContext): void => {
  ctx.out.persist.hardState = { term: ctx.state.term, vote: ctx.state.vote }
}

export const persistTruncate = (ctx: StepContext, from: number): void => {
  const persist = ctx.out.persist
  persist.entries = persist.entries.filter((entry) => entry.index < from)
  persist.truncateFrom = persist.truncateFrom === undefined ? from : Math.min(persist.truncateFrom, from)
}

export const persistEntries = (ctx: StepContext, entries: ReadonlyArray<Entry>): void => {
  for (const entry of entries) ctx.out.persist.entries.push(entry)
}
