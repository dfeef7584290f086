/**
 * Raft 5.3 log replication: batching limits, pipelining up to maxInflightAppends, heartbeats
 * carrying the commit index, fast backtracking over a long divergent log (one round trip per
 * divergent term), and harmless stale / duplicated / reordered messages.
 */
import { describe, expect, it } from "vitest"
import type { AppendEntries, Entry } from "../../src/raft/messages.js"
import { type RaftState, step } from "../../src/raft/index.js"
import { Cluster, testConfig } from "./harness.js"

const stableCluster = (size: number, seed: number, config = testConfig()): { cluster: Cluster; leader: string } => {
  const cluster = new Cluster({ size, seed, config })
  cluster.runUntil(() => cluster.leader() !== undefined, 300)
  const leader = cluster.leader()!
  cluster.runUntil(() => cluster.live().every((node) => node.state!.commitIndex === 1), 100)
  return { cluster, leader }
}

const appendsFrom = (cluster: Cluster, from: string, to?: string): Array<AppendEntries> =>
  cluster.sent
    .filter((sent) => sent.from === from && (to === undefined || sent.to === to) && sent.message._tag === "AppendEntries")
    .map((sent) => sent.message as AppendEntries)

describe("Raft 5.3 log replication", () => {
  it("batches at most maxEntriesPerAppend entries and maxBytesPerAppend bytes per append", () => {
    const { cluster, leader } = stableCluster(3, 21)
    cluster.recordSent = true
    cluster.stepNode(leader, { _tag: "Propose", data: Array.from({ length: 10 }, (_, i) => `v${i}`) })
    cluster.stepNode(leader, { _tag: "Propose", data: Array.from({ length: 5 }, (_, i) => `${i}`.padEnd(30, "x")) })
    expect(cluster.runUntil(() => cluster.live().every((node) => node.machine.applied.length === 16), 200)).toBe(true)
    const withEntries = appendsFrom(cluster, leader).filter((append) => append.entries.length > 0)
    expect(withEntries.length).toBeGreaterThan(0)
    for (const append of withEntries) {
      expect(append.entries.length).toBeLessThanOrEqual(4)
      const bytes = append.entries.reduce((sum, entry) => sum + entry.data.length, 0)
      expect(bytes <= 64 || append.entries.length === 1).toBe(true)
    }
    expect(withEntries.some((append) => append.entries.length === 4)).toBe(true)
    expect(withEntries.some((append) => append.entries.length === 2 && append.entries[0]!.data.length === 30)).toBe(true)
    const rejected = cluster.stepNode(leader, { _tag: "Propose", data: ["y".repeat(65)] })
    expect(rejected.proposalRejected).toEqual({ reason: "too-large", leader })
    // The limit is in UTF-8 bytes: 22 three-byte characters are 66 bytes though only 22 units.
    const multibyte = cluster.stepNode(leader, { _tag: "Propose", data: ["\u20ac".repeat(22)] })
    expect(multibyte.proposalRejected).toEqual({ reason: "too-large", leader })
    expect(cluster.stepNode(leader, { _tag: "Propose", data: ["\u20ac".repeat(21)] }).proposalRejected).toBeUndefined()
  })

  it("refuses proposals as overloaded once maxPendingProposals entries are uncommitted", () => {
    const { cluster, leader } = stableCluster(3, 24, testConfig({ maxPendingProposals: 5 }))
    cluster.isolate(leader)
    expect(cluster.stepNode(leader, { _tag: "Propose", data: ["a", "b", "c", "d"] }).proposed).toBeDefined()
    expect(cluster.stepNode(leader, { _tag: "Propose", data: ["e", "f"] }).proposalRejected).toEqual({ reason: "overloaded", leader })
    expect(cluster.stepNode(leader, { _tag: "Propose", data: ["e"] }).proposed).toEqual({ term: cluster.stateOf(leader).term, firstIndex: 6, lastIndex: 6 })
    const follower = cluster.ids.find((id) => id !== leader)!
    expect(cluster.stepNode(follower, { _tag: "Propose", data: ["x"] }).proposalRejected).toEqual({ reason: "not-leader", leader })
  })

  it("pipelines up to maxInflightAppends appends per follower before any answer", () => {
    const { cluster, leader } = stableCluster(3, 22)
    cluster.recordSent = true
    for (let batch = 0; batch < 6; batch++) cluster.stepNode(leader, { _tag: "Propose", data: ["a", "b", "c", "d"] })
    const follower = cluster.ids.find((id) => id !== leader)!
    expect(appendsFrom(cluster, leader, follower)).toHaveLength(3)
    expect(cluster.stateOf(leader).progress.get(follower)).toMatchObject({ mode: "replicate", inflight: [5, 9, 13] })
    expect(cluster.runUntil(() => cluster.live().every((node) => node.machine.applied.length === 25), 100)).toBe(true)
    expect(appendsFrom(cluster, leader, follower).filter((append) => append.entries.length > 0)).toHaveLength(6)
  })

  it("a leader counts its own new entries toward a commit only once it is told they are durable", () => {
    const { cluster, leader } = stableCluster(3, 23)
    const [first, second] = cluster.ids.filter((id) => id !== leader) as [string, string]
    let state: RaftState = step(cluster.node(leader).state!, { _tag: "Propose", data: ["x"] }).state
    const term = state.term
    const acked = (from: string, matchIndex: number) => {
      const message = {
        _tag: "AppendEntriesResponse" as const, term, success: true, matchIndex, conflictIndex: 0, conflictTerm: 0,
        lastLogIndex: matchIndex, rejectedIndex: 0, readRound: 0
      }
      return step(state, { _tag: "Receive", from, message }).state
    }
    expect(state.log.lastIndex).toBe(2)
    // The leader's write and one follower's: the leader's is not reported yet, so no majority.
    state = acked(first, 2)
    expect(state.commitIndex).toBe(1)
    // A report from an earlier leadership, or for less than the entry, changes nothing.
    state = step(state, { _tag: "LogDurable", index: 2, term: term - 1 }).state
    state = step(state, { _tag: "LogDurable", index: 1, term }).state
    expect(state.commitIndex).toBe(1)
    state = step(state, { _tag: "LogDurable", index: 2, term }).state
    expect(state.commitIndex).toBe(2)
    // Two followers are a majority without the leader's own disk.
    state = step(state, { _tag: "Propose", data: ["y"] }).state
    state = acked(first, 3)
    expect(state.commitIndex).toBe(2)
    state = acked(second, 3)
    expect(state.commitIndex).toBe(3)
  })

  it("heartbeats every heartbeat period carry the commit index to followers", () => {
    const { cluster, leader } = stableCluster(3, 23)
    cluster.stepNode(leader, { _tag: "Propose", data: ["x"] })
    cluster.runUntil(() => cluster.stateOf(leader).commitIndex === 2, 50)
    cluster.recordSent = true
    const follower = cluster.ids.find((id) => id !== leader)!
    expect(cluster.runUntil(() => cluster.stateOf(follower).commitIndex === 2, cluster.config.heartbeatTicks + 1)).toBe(true)
    cluster.runUntil(() => false, 50)
    const heartbeats = appendsFrom(cluster, leader, follower)
    expect(heartbeats.length).toBeGreaterThanOrEqual(50 / cluster.config.heartbeatTicks - 1)
    expect(heartbeats.length).toBeLessThanOrEqual(50 / cluster.config.heartbeatTicks + 2)
    expect(heartbeats.every((append) => append.leaderCommit === 2 && append.entries.length === 0)).toBe(true)
  })
})

const run = (from: number, to: number, term: number): Array<Entry> =>
  Array.from({ length: to - from + 1 }, (_, i) => ({ index: from + i, term, kind: "command" as const, data: `t${term}-${from + i}` }))

describe("fast backtracking (conflictTerm / conflictIndex)", () => {
  it("repairs a 350-entry divergent log in one round trip per divergent term", () => {
    const cluster = new Cluster({ size: 3, seed: 31, config: testConfig({ maxEntriesPerAppend: 64, maxBytesPerAppend: 4096 }) })
    for (const id of cluster.ids) cluster.crash(id)
    const leaderLog = [...run(1, 50, 1), ...run(51, 500, 5)]
    const divergent = [...run(1, 50, 1), ...run(51, 150, 2), ...run(151, 250, 3), ...run(251, 400, 4)]
    for (const id of ["n1", "n3"]) Object.assign(cluster.node(id).durable, { hardState: { term: 5, vote: null }, entries: [...leaderLog] })
    Object.assign(cluster.node("n2").durable, { hardState: { term: 4, vote: null }, entries: divergent })
    for (const id of cluster.ids) cluster.restart(id)
    cluster.recordSent = true
    cluster.forceElection("n1", 0)
    // Let only the election and the repair run: no ticks, the network alone moves.
    cluster.flush(200)
    expect(cluster.stateOf("n1")).toMatchObject({ role: "leader", term: 6 })
    const rejections = cluster.sent.filter((sent) =>
      sent.from === "n2" && sent.message._tag === "AppendEntriesResponse" && !sent.message.success)
    // One for the length gap, then one per divergent term (4, 3, 2): 4, not ~350.
    expect(rejections).toHaveLength(4)
    const n2 = cluster.stateOf("n2").log
    expect(n2.lastIndex).toBe(501)
    expect(n2.termAt(51)).toBe(5)
    expect(n2.termAt(501)).toBe(6)
    cluster.checkLogMatching()
  })
})

describe("stale, duplicated and reordered messages", () => {
  it("replaying every message of a run, newest first, changes nothing committed and moves nothing backwards", () => {
    const { cluster, leader } = stableCluster(3, 41)
    cluster.recordSent = true
    for (let round = 0; round < 10; round++) {
      cluster.stepNode(leader, { _tag: "Propose", data: [`r${round}`] })
      cluster.tick()
    }
    cluster.runUntil(() => cluster.live().every((node) => node.machine.applied.length === 11), 100)
    const recorded = [...cluster.sent].reverse()
    cluster.recordSent = false
    const commits = new Map(cluster.ids.map((id) => [id, cluster.stateOf(id).commitIndex]))
    const matches = [...cluster.stateOf(leader).progress.values()].map((progress) => progress.match)
    for (const { from, to, message } of [...recorded, ...recorded]) {
      cluster.stepNode(to, { _tag: "Receive", from, message })
      expect(cluster.stateOf(to).commitIndex).toBeGreaterThanOrEqual(commits.get(to)!)
    }
    expect(cluster.leader()).toBe(leader)
    expect([...cluster.stateOf(leader).progress.values()].map((progress) => progress.match)).toEqual(matches)
    for (const node of cluster.live()) expect(node.machine.applied).toHaveLength(11)
    cluster.stepNode(leader, { _tag: "Propose", data: ["after-replay"] })
    expect(cluster.runUntil(() => cluster.live().every((node) => node.machine.applied.length === 12), 200)).toBe(true)
    cluster.checkLogMatching()
  })

  it("drops and counts messages from strangers or with inconsistent content", () => {
    const { cluster, leader } = stableCluster(3, 42)
    const follower = cluster.ids.find((id) => id !== leader)!
    const state = cluster.stateOf(follower)
    const before = state.counters.droppedMessages
    const bogus: AppendEntries = {
      _tag: "AppendEntries", term: state.term, leader, prevLogIndex: 1, prevLogTerm: state.term,
      entries: [{ index: 5, term: state.term, kind: "command", data: "gap" }], leaderCommit: 5, readRound: 0
    }
    expect(cluster.stepNode(follower, { _tag: "Receive", from: leader, message: bogus }).messages).toEqual([])
    expect(cluster.stepNode(follower, { _tag: "Receive", from: "stranger", message: { ...bogus, leader: "stranger", entries: [] } }).messages).toEqual([])
    expect(cluster.stepNode(follower, { _tag: "Receive", from: leader, message: { ...bogus, term: state.term, leader: "someone-else", entries: [] } }).messages).toEqual([])
    expect(cluster.stateOf(follower).counters.droppedMessages).toBe(before + 3)
    expect(cluster.stateOf(follower).log.lastIndex).toBe(1)
  })
})
