/**
 * ReadIndex (Raft thesis 6.4): reads are answered after a quorum confirms leadership, batched
 * one heartbeat round for all waiting reads, never before the leader has committed an entry of
 * its own term, and failed when leadership is lost.
 */
import { describe, expect, it } from "vitest"
import { Either } from "effect"
import { initialState } from "../../src/raft/state.js"
import { step } from "../../src/raft/step.js"
import type { RaftOutput } from "../../src/raft/types.js"
import { Cluster, testConfig } from "./harness.js"

const collectReads = (cluster: Cluster) => {
  const ready: Array<{ id: string; requestId: number; index: number }> = []
  const failed: Array<{ id: string; requestId: number }> = []
  cluster.onOutput = (id: string, output: RaftOutput) => {
    for (const read of output.readsReady) ready.push({ id, ...read })
    for (const read of output.readsFailed) failed.push({ id, requestId: read.requestId })
  }
  return { ready, failed }
}

/** A 3-node cluster whose leader has committed its first entry (reads may be served), reads collected. */
const leaderWithOwnEntryCommitted = (seed: number) => {
  const cluster = new Cluster({ size: 3, seed })
  cluster.runUntil(() => cluster.leader() !== undefined && cluster.stateOf(cluster.leader()!).commitIndex === 1, 300)
  return { cluster, leader: cluster.leader()!, reads: collectReads(cluster) }
}

const readRoundsFrom = (cluster: Cluster, from: string): Set<number> =>
  new Set(cluster.sent.flatMap((sent) => sent.from === from && sent.message._tag === "AppendEntries" ? [sent.message.readRound] : []))

describe("ReadIndex", () => {
  it("a single-node leader answers at once with its commit index", () => {
    let state = Either.getOrThrow(initialState({ self: "a", peers: [], config: testConfig(), seed: 2 }))
    while (state.role !== "leader") state = step(state, { _tag: "Tick" }).state
    state = step(state, { _tag: "LogDurable", index: 1, term: state.term }).state
    const { output } = step(state, { _tag: "ReadIndex", requestIds: [7] })
    expect(output.readsReady).toEqual([{ requestId: 7, index: 1 }])
  })

  it("a follower rejects with the leader it knows, for redirection", () => {
    const cluster = new Cluster({ size: 3, seed: 61 })
    cluster.runUntil(() => cluster.live().every((node) => node.state!.leader !== null), 300)
    const leader = cluster.leader()!
    const follower = cluster.ids.find((id) => id !== leader)!
    const { readsFailed } = cluster.stepNode(follower, { _tag: "ReadIndex", requestIds: [1] })
    expect(readsFailed).toEqual([{ requestId: 1, reason: "not-leader", leader }])
  })

  it("waits until the new leader commits an entry of its own term", () => {
    const cluster = new Cluster({ size: 3, seed: 62 })
    const reads = collectReads(cluster)
    cluster.filter = (from, _to, message) => from !== "n1" || message._tag === "RequestVote"
    cluster.forceElection("n1")
    expect(cluster.stateOf("n1").role).toBe("leader")
    cluster.stepNode("n1", { _tag: "ReadIndex", requestIds: [1] })
    cluster.flush()
    expect(reads.ready).toEqual([])
    expect(cluster.stateOf("n1").readRound).toBe(0)
    cluster.filter = undefined
    expect(cluster.runUntil(() => reads.ready.length === 1, 50)).toBe(true)
    expect(reads.ready[0]).toEqual({ id: "n1", requestId: 1, index: 1 })
  })

  it("batches: reads arriving during a round share the next round", () => {
    const { cluster, leader, reads } = leaderWithOwnEntryCommitted(63)
    cluster.recordSent = true
    for (let requestId = 1; requestId <= 5; requestId++) cluster.stepNode(leader, { _tag: "ReadIndex", requestIds: [requestId] })
    expect(cluster.sent.filter((sent) => sent.from === leader)).toHaveLength(2)
    expect(reads.ready).toEqual([])
    cluster.flush(2) // heartbeats out, acknowledgements back: round 1 done, round 2 starts
    expect(reads.ready.map((read) => read.requestId)).toEqual([1])
    cluster.flush()
    expect(reads.ready.map((read) => read.requestId)).toEqual([1, 2, 3, 4, 5])
    expect(reads.ready.every((read) => read.index === 1)).toBe(true)
    expect(readRoundsFrom(cluster, leader)).toEqual(new Set([1, 2]))
    expect(cluster.sent.filter((sent) => sent.from === leader)).toHaveLength(4)
  })

  it("reads stepped together share one round: one heartbeat per follower for all of them", () => {
    const { cluster, leader, reads } = leaderWithOwnEntryCommitted(63)
    cluster.recordSent = true
    cluster.stepNode(leader, { _tag: "ReadIndex", requestIds: [1, 2, 3, 4, 5] })
    expect(cluster.sent.filter((sent) => sent.from === leader)).toHaveLength(2)
    cluster.flush(2)
    expect(reads.ready.map((read) => read.requestId)).toEqual([1, 2, 3, 4, 5])
    expect(readRoundsFrom(cluster, leader)).toEqual(new Set([1]))
  })

  it("a batch past maxPendingReads keeps what fits and refuses the rest as overloaded", () => {
    const cluster = new Cluster({ size: 3, seed: 65, config: testConfig({ maxPendingReads: 2 }) })
    cluster.runUntil(() => cluster.leader() !== undefined, 300)
    const leader = cluster.leader()!
    cluster.isolate(leader)
    const output = cluster.stepNode(leader, { _tag: "ReadIndex", requestIds: [1, 2, 3] })
    expect(output.readsFailed).toEqual([{ requestId: 3, reason: "overloaded", leader }])
  })

  it("never answers without a quorum, and fails the reads when leadership is lost", () => {
    const { cluster, leader, reads } = leaderWithOwnEntryCommitted(64)
    cluster.isolate(leader)
    cluster.stepNode(leader, { _tag: "ReadIndex", requestIds: [9] })
    expect(cluster.runUntil(() => cluster.stateOf(leader).role !== "leader", 100)).toBe(true)
    expect(reads.ready).toEqual([])
    expect(reads.failed).toEqual([{ id: leader, requestId: 9 }])
  })

  it("rejects reads past maxPendingReads as overloaded", () => {
    const cluster = new Cluster({ size: 3, seed: 65, config: testConfig({ maxPendingReads: 2 }) })
    cluster.runUntil(() => cluster.leader() !== undefined, 300)
    const leader = cluster.leader()!
    cluster.isolate(leader)
    cluster.stepNode(leader, { _tag: "ReadIndex", requestIds: [1] })
    cluster.stepNode(leader, { _tag: "ReadIndex", requestIds: [2] })
    const third = cluster.stepNode(leader, { _tag: "ReadIndex", requestIds: [3] })
    expect(third.readsFailed).toEqual([{ requestId: 3, reason: "overloaded", leader }])
  })
})
