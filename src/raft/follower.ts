/**
 * The follower's side of replication (Raft 5.3, 7): consistency check with fast-backtracking
 * hints, conflict truncation (never below the commit index), commit from the leader, and
 * chunked snapshot installation that keeps a matching log suffix.
 */
import type { AppendEntries, Entry, InstallSnapshot } from "./messages.js"
import { persistEntries, persistTruncate, send, type StepContext } from "./output.js"
import type { NodeId } from "./types.js"
import { utf8Bytes } from "./utf8.js"

/** Entries must be contiguous after prevLogIndex, with terms rising to at most the leader's. */
export const appendIsWellFormed = (message: AppendEntries): boolean => {
  let expectedIndex = message.prevLogIndex + 1
  let previousTerm = message.prevLogTerm
  for (const entry of message.entries) {
    if (entry.index !== expectedIndex || entry.term < previousTerm || entry.term > message.term) return false
    expectedIndex++
    previousTerm = entry.term
  }
  return message.prevLogTerm <= message.term && message.leaderCommit >= 0
}

const respond = (
  ctx: StepContext,
  to: NodeId,
  message: AppendEntries,
  fields: { success: boolean; matchIndex: number; conflictIndex: number; conflictTerm: number }
): void => {
  send(ctx, to, {
    _tag: "AppendEntriesResponse",
    term: ctx.state.term,
    ...fields,
    lastLogIndex: ctx.state.log.lastIndex,
    rejectedIndex: fields.success ? 0 : message.prevLogIndex,
    readRound: message.readRound
  })
}

/**
 * Appends what is new, truncating at the first conflicting entry. Returns false (changing
 * nothing) if the conflict would cut a committed entry: a correct leader never asks that.
 */
const appendNew = (ctx: StepContext, entries: ReadonlyArray<Entry>): boolean => {
  const { log } = ctx.state
  let firstNew = 0
  while (firstNew < entries.length) {
    const entry = entries[firstNew]!
    const existingTerm = log.termAt(entry.index)
    if (existingTerm === undefined && entry.index > log.lastIndex) break
    if (existingTerm !== undefined && existingTerm !== entry.term) {
      // Raft 5.4: committed entries match the leader, so a conflict is always above commit.
      if (entry.index <= ctx.state.commitIndex) return false
      log.truncateFrom(entry.index)
      persistTruncate(ctx, entry.index)
      break
    }
    firstNew++
  }
  const fresh = entries.slice(firstNew)
  if (fresh.length === 0) return true
  log.append(fresh)
  persistEntries(ctx, fresh)
  return true
}

export const handleAppendEntries = (ctx: StepContext, from: NodeId, message: AppendEntries): void => {
  const { state } = ctx
  const { log } = state
  // Entries up to the commit index are known to match the leader's (Leader Completeness), so
  // the check starts at the commit index when the message reaches below it.
  let prevLogIndex = message.prevLogIndex
  let entries: ReadonlyArray<Entry> = message.entries
  if (prevLogIndex < state.commitIndex) {
    entries = entries.filter((entry) => entry.index > state.commitIndex)
    prevLogIndex = state.commitIndex
    if (entries.length > 0 && entries[0]!.index !== prevLogIndex + 1) entries = []
  } else {
    if (prevLogIndex > log.lastIndex) {
      return respond(ctx, from, message, { success: false, matchIndex: 0, conflictIndex: log.lastIndex + 1, conflictTerm: 0 })
    }
    const localTerm = log.termAt(prevLogIndex)!
    if (localTerm !== message.prevLogTerm) {
      const firstOfTerm = log.firstIndexWithTermAtLeast(localTerm, state.commitIndex + 1)
      return respond(ctx, from, message, { success: false, matchIndex: 0, conflictIndex: firstOfTerm, conflictTerm: localTerm })
    }
  }
  if (!appendNew(ctx, entries)) {
    state.counters.droppedMessages++
    return
  }
  const lastNewIndex = entries.length === 0 ? prevLogIndex : entries[entries.length - 1]!.index
  const newCommit = Math.min(message.leaderCommit, lastNewIndex)
  if (newCommit > state.commitIndex) state.commitIndex = newCommit
  respond(ctx, from, message, { success: true, matchIndex: lastNewIndex, conflictIndex: 0, conflictTerm: 0 })
}

const respondSnapshot = (
  ctx: StepContext,
  to: NodeId,
  message: InstallSnapshot,
  fields: { matchIndex: number; nextOffset: number; done: boolean }
): void => {
  send(ctx, to, { _tag: "InstallSnapshotResponse", term: ctx.state.term, lastIncludedIndex: message.lastIncludedIndex, ...fields })
}

/** Raft 7: keep the log suffix if it matches the snapshot's last entry, else discard the log. */
const installSnapshot = (ctx: StepContext, index: number, term: number, data: string): void => {
  const { state } = ctx
  const snapshot = { index, term, data }
  if (state.log.termAt(index) === term) {
    state.log.compactTo(index, term)
  } else {
    state.log.reset(index, term)
    persistTruncate(ctx, index + 1)
  }
  ctx.out.persist.snapshot = snapshot
  ctx.out.applySnapshot = snapshot
  state.snapshot = snapshot
  state.commitIndex = Math.max(state.commitIndex, index)
  state.appliedIndex = index
}

export const handleInstallSnapshot = (ctx: StepContext, from: NodeId, message: InstallSnapshot): void => {
  const { state } = ctx
  if (message.lastIncludedIndex <= state.commitIndex) {
    state.incomingSnapshot = undefined
    return respondSnapshot(ctx, from, message, { matchIndex: state.commitIndex, nextOffset: 0, done: true })
  }
  let incoming = state.incomingSnapshot
  const sameSnapshot = incoming !== undefined && incoming.index === message.lastIncludedIndex &&
    incoming.term === message.lastIncludedTerm
  if (message.offset === 0 && !sameSnapshot) {
    incoming = { index: message.lastIncludedIndex, term: message.lastIncludedTerm, chunks: [], receivedLength: 0, receivedBytes: 0 }
    state.incomingSnapshot = incoming
  }
  if (incoming === undefined || incoming.index !== message.lastIncludedIndex || incoming.term !== message.lastIncludedTerm ||
    message.offset !== incoming.receivedLength) {
    const nextOffset = sameSnapshot && incoming !== undefined ? incoming.receivedLength : 0
    return respondSnapshot(ctx, from, message, { matchIndex: 0, nextOffset, done: false })
  }
  const chunkBytes = utf8Bytes(message.data)
  if (incoming.receivedBytes + chunkBytes > state.config.maxSnapshotBytes) {
    state.incomingSnapshot = undefined
    state.counters.droppedSnapshots++
    return
  }
  incoming.chunks.push(message.data)
  incoming.receivedLength += message.data.length
  incoming.receivedBytes += chunkBytes
  if (!message.done) {
    return respondSnapshot(ctx, from, message, { matchIndex: 0, nextOffset: incoming.receivedLength, done: false })
  }
  state.incomingSnapshot = undefined
  installSnapshot(ctx, incoming.index, incoming.term, incoming.chunks.join(""))
  respondSnapshot(ctx, from, message, { matchIndex: incoming.index, nextOffset: 0, done: true })
}
