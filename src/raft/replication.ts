/**
 * The leader's side of log replication (Raft 5.3, 7): batched, pipelined appends per follower
 * (probe -> replicate -> snapshot modes, as in etcd-io/raft), fast backtracking on rejection
 * with conflictTerm/conflictIndex, commit by counting current-term matches (5.4.2).
 */
import type { AppendEntriesResponse, InstallSnapshotResponse } from "./messages.js"
import { send, type StepContext } from "./output.js"
import { checkReadRound, startReadRoundIfReady } from "./read-index.js"
import { maybeSendTimeoutNow } from "./transfer.js"
import type { NodeId, Progress, RaftState } from "./types.js"
import { utf8Bytes } from "./utf8.js"

const becomeProbe = (progress: Progress, next: number): void => {
  progress.mode = "probe"
  progress.next = Math.max(next, progress.match + 1)
  progress.probeSent = false
  progress.inflight = []
}

const becomeReplicate = (progress: Progress): void => {
  progress.mode = "replicate"
  progress.next = progress.match + 1
  progress.inflight = []
}

const sendSnapshotChunk = (ctx: StepContext, peer: NodeId, progress: Progress): void => {
  const { state } = ctx
  const snapshot = state.snapshot
  if (snapshot === undefined) return
  if (progress.snapshotIndex !== snapshot.index) {
    progress.snapshotIndex = snapshot.index
    progress.snapshotOffset = 0
  }
  // Offsets are string offsets; a chunk holds at most maxBytesPerAppend UTF-8 bytes (a UTF-16
  // unit takes at most 3, so a third as many units always fits when the full count does not).
  const maxBytes = state.config.maxBytesPerAppend
  const offset = Math.min(progress.snapshotOffset, snapshot.data.length)
  let data = snapshot.data.slice(offset, offset + maxBytes)
  if (utf8Bytes(data) > maxBytes) data = snapshot.data.slice(offset, offset + Math.max(1, Math.floor(maxBytes / 3)))
  send(ctx, peer, {
    _tag: "InstallSnapshot",
    term: state.term,
    leader: state.self,
    lastIncludedIndex: snapshot.index,
    lastIncludedTerm: snapshot.term,
    offset,
    data,
    done: offset + data.length >= snapshot.data.length
  })
}

const becomeSnapshot = (ctx: StepContext, peer: NodeId, progress: Progress): void => {
  progress.mode = "snapshot"
  progress.inflight = []
  progress.snapshotIndex = 0
  progress.snapshotOffsetAtLastHeartbeat = -1
  sendSnapshotChunk(ctx, peer, progress)
}

/**
 * Sends the next batch to `peer` if its mode and window allow. With `allowEmpty` an append with
 * no entries is sent anyway (a probe doubling as heartbeat).
 */
export const sendAppend = (ctx: StepContext, peer: NodeId, allowEmpty: boolean): void => {
  const { state } = ctx
  const progress = state.progress.get(peer)
  if (progress === undefined || progress.mode === "snapshot") return
  if (progress.mode === "probe" && progress.probeSent) return
  if (progress.mode === "replicate" && progress.inflight.length >= state.config.maxInflightAppends) return
  const prevLogIndex = progress.next - 1
  const prevLogTerm = state.log.termAt(prevLogIndex)
  if (prevLogTerm === undefined) return becomeSnapshot(ctx, peer, progress)
  const { maxEntriesPerAppend, maxBytesPerAppend } = state.config
  const entries = state.log.slice(progress.next, maxEntriesPerAppend, maxBytesPerAppend)
  if (entries.length === 0 && !allowEmpty) return
  send(ctx, peer, {
    _tag: "AppendEntries",
    term: state.term,
    leader: state.self,
    prevLogIndex,
    prevLogTerm,
    entries,
    leaderCommit: state.commitIndex,
    readRound: state.readRound
  })
  if (progress.mode === "probe") {
    progress.probeSent = true
  } else if (entries.length > 0) {
    const lastSent = entries[entries.length - 1]!.index
    progress.next = lastSent + 1
    progress.inflight.push(lastSent)
  }
}

export const broadcastAppend = (ctx: StepContext): void => {
  for (const peer of ctx.state.peers) sendAppend(ctx, peer, true)
}

/** An empty append at the follower's known match: keeps authority, carries commit and read round. */
const sendHeartbeat = (ctx: StepContext, peer: NodeId, progress: Progress): void => {
  const { state } = ctx
  const knownTerm = state.log.termAt(progress.match)
  send(ctx, peer, {
    _tag: "AppendEntries",
    term: state.term,
    leader: state.self,
    prevLogIndex: knownTerm === undefined ? 0 : progress.match,
    prevLogTerm: knownTerm ?? 0,
    entries: [],
    leaderCommit: state.commitIndex,
    readRound: state.readRound
  })
}

/** Heartbeats to every follower now (a ReadIndex round's leadership check). */
export const broadcastHeartbeat = (ctx: StepContext): void => {
  for (const [peer, progress] of ctx.state.progress) sendHeartbeat(ctx, peer, progress)
}

/**
 * Every heartbeat period: re-probe, retransmit a stalled pipeline (appends were lost: match did
 * not move for a whole period) or snapshot chunk, and otherwise send a plain heartbeat.
 */
export const heartbeatAll = (ctx: StepContext): void => {
  const { state } = ctx
  for (const [peer, progress] of state.progress) {
    if (progress.mode === "replicate" && progress.inflight.length > 0 &&
      progress.match === progress.matchAtLastHeartbeat) {
      becomeProbe(progress, progress.match + 1)
    }
    progress.matchAtLastHeartbeat = progress.match
    if (progress.mode === "probe") {
      progress.probeSent = false
      sendAppend(ctx, peer, true)
      continue
    }
    if (progress.mode === "snapshot" && progress.snapshotOffset === progress.snapshotOffsetAtLastHeartbeat) {
      sendSnapshotChunk(ctx, peer, progress)
    }
    progress.snapshotOffsetAtLastHeartbeat = progress.snapshotOffset
    sendHeartbeat(ctx, peer, progress)
  }
  maybeSendTimeoutNow(ctx)
}

/** Raft 5.3/5.4.2: the highest index matched by a quorum, if it is of the current term. */
export const maybeCommit = (ctx: StepContext): boolean => {
  const { state } = ctx
  const matches = [Math.min(state.durableIndex, state.log.lastIndex)]
  for (const progress of state.progress.values()) matches.push(progress.match)
  matches.sort((a, b) => b - a)
  const quorumMatch = matches[Math.floor((state.peers.length + 1) / 2)]!
  if (quorumMatch <= state.commitIndex || state.log.termAt(quorumMatch) !== state.term) return false
  state.commitIndex = quorumMatch
  startReadRoundIfReady(ctx)
  return true
}

/** Where to resume after a rejection: one round trip per divergent term, not per entry. */
const nextAfterRejection = (state: RaftState, response: AppendEntriesResponse): number => {
  let next = response.conflictIndex
  if (response.conflictTerm > 0) {
    const lastOfTerm = state.log.lastIndexOfTerm(response.conflictTerm, response.rejectedIndex)
    if (lastOfTerm !== undefined) next = lastOfTerm + 1
  }
  return Math.max(1, Math.min(next, response.rejectedIndex, response.lastLogIndex + 1))
}

const isStaleRejection = (progress: Progress, rejectedIndex: number): boolean => {
  if (progress.mode === "replicate") return rejectedIndex <= progress.match
  if (progress.mode === "probe") return rejectedIndex !== progress.next - 1
  return true
}

export const handleAppendResponse = (ctx: StepContext, from: NodeId, response: AppendEntriesResponse): void => {
  const { state } = ctx
  const progress = state.progress.get(from)
  if (progress === undefined) return
  progress.recentActive = true
  if (response.readRound > progress.readRoundAcked) {
    progress.readRoundAcked = response.readRound
    checkReadRound(ctx)
  }
  if (!response.success) {
    if (isStaleRejection(progress, response.rejectedIndex)) return
    becomeProbe(progress, nextAfterRejection(state, response))
    sendAppend(ctx, from, true)
    return
  }
  if (progress.mode === "probe") progress.probeSent = false
  if (response.matchIndex > progress.match) {
    progress.match = Math.min(response.matchIndex, state.log.lastIndex)
    progress.inflight = progress.inflight.filter((lastSent) => lastSent > progress.match)
    if (progress.mode === "probe") becomeReplicate(progress)
    else if (progress.mode === "snapshot" && progress.match >= progress.snapshotIndex) becomeProbe(progress, progress.match + 1)
    else progress.next = Math.max(progress.next, progress.match + 1)
    maybeCommit(ctx)
  }
  sendAppend(ctx, from, false)
  maybeSendTimeoutNow(ctx)
}

export const handleSnapshotResponse = (ctx: StepContext, from: NodeId, response: InstallSnapshotResponse): void => {
  const { state } = ctx
  const progress = state.progress.get(from)
  if (progress === undefined) return
  progress.recentActive = true
  if (response.done) {
    if (response.matchIndex > progress.match) progress.match = Math.min(response.matchIndex, state.log.lastIndex)
    if (progress.mode !== "snapshot") return
    // Probing from the follower's match falls back to a (newer) snapshot if still needed.
    becomeProbe(progress, progress.match + 1)
    maybeCommit(ctx)
    sendAppend(ctx, from, true)
    return
  }
  if (progress.mode !== "snapshot" || response.lastIncludedIndex !== progress.snapshotIndex) return
  if (response.nextOffset === progress.snapshotOffset && response.nextOffset !== 0) return
  progress.snapshotOffset = response.nextOffset
  sendSnapshotChunk(ctx, from, progress)
}
