/**
 * Raft 5.4 safety: the election restriction, and the Figure 8 scenario reproduced step by
 * step: an entry of an old term stored on a majority must NOT be committed by counting.
 */
import { describe, expect, it } from "vitest"
import type { RaftMessage } from "../../src/raft/messages.js"
import { Cluster, testConfig } from "./harness.js"

/** Passes appends carrying nothing above `maxIndex`, and probes the receiver will reject anyway. */
const onlyUpTo = (cluster: Cluster, maxIndex: number) => (to: string, message: RaftMessage): boolean =>
  message._tag !== "AppendEntries" || message.entries.every((entry) => entry.index <= maxIndex) ||
  cluster.stateOf(to).log.lastIndex < message.prevLogIndex

/** Figure 8 (a)-(c): returns a cluster where n1 (term 3) has replicated index 2 (term 1) to a majority. */
const figure8UpToC = (): Cluster => {
  const cluster = new Cluster({ size: 5, seed: 8, config: testConfig({ maxEntriesPerAppend: 1 }) })
  cluster.forceElection("n1")
  expect(cluster.stateOf("n1").role).toBe("leader")
  cluster.flush()
  // (a) n1 (term 1) replicates X at index 2 to n2 only, then crashes.
  cluster.filter = (from, to) => from !== "n1" || to === "n2"
  expect(cluster.stepNode("n1", { _tag: "Propose", data: ["X"] }).proposed).toEqual({ term: 1, firstIndex: 2, lastIndex: 2 })
  cluster.flush()
  expect(cluster.stateOf("n2").log.termAt(2)).toBe(1)
  expect(cluster.stateOf("n1").commitIndex).toBe(1)
  cluster.crash("n1")
  // (b) n5 is elected for term 2 by n3, n4 (n2 has a longer log and refuses), appends Y, crashes.
  cluster.filter = (from, _to, message) => from !== "n5" || message._tag === "RequestVote"
  cluster.forceElection("n5")
  expect(cluster.stateOf("n5")).toMatchObject({ role: "leader", term: 2 })
  cluster.stepNode("n5", { _tag: "Propose", data: ["Y"] })
  cluster.crash("n5")
  // (c) n1 restarts, is elected for term 3 and replicates index 2 (term 1) to n3: a majority
  // (n1, n2, n3) with n1 knowing it. Only n2 gets n1's term-3 no-op at index 3.
  cluster.restart("n1")
  cluster.filter = (from, to, message) =>
    from !== "n1" || message._tag === "RequestVote" || to === "n2" || (to === "n3" && onlyUpTo(cluster, 2)(to, message))
  // The first pre-vote is refused by n3, n4 (term 2) and teaches n1 the term; the second wins.
  cluster.forceElection("n1")
  expect(cluster.stateOf("n1")).toMatchObject({ role: "follower", term: 2 })
  cluster.forceElection("n1")
  expect(cluster.stateOf("n1")).toMatchObject({ role: "leader", term: 3 })
  cluster.flush()
  for (const id of ["n1", "n2", "n3"]) expect(cluster.stateOf(id).log.entryAt(2)?.data).toBe("X")
  expect(cluster.stateOf("n3").log.lastIndex).toBe(2)
  expect([...cluster.stateOf("n1").progress.values()].map((progress) => progress.match)).toEqual([3, 2, 0, 0])
  return cluster
}

describe("Raft 5.4.2 Figure 8", () => {
  it("does not commit an old-term entry stored on a majority, so a later leader may safely overwrite it", () => {
    const cluster = figure8UpToC()
    // Counting replicas would commit X here; Raft must not.
    expect(cluster.stateOf("n1").commitIndex).toBeLessThan(2)
    // (d) n1 crashes; n5 (last term 2) wins term 4 and overwrites index 2 everywhere.
    cluster.crash("n1")
    cluster.filter = undefined
    cluster.restart("n5")
    cluster.forceElection("n5") // refused by term-3 voters: learns term 3
    cluster.forceElection("n5")
    expect(cluster.stateOf("n5")).toMatchObject({ role: "leader", term: 4 })
    cluster.restart("n1")
    expect(cluster.runUntil(() => cluster.live().every((node) => node.machine.applied.length >= 4), 300)).toBe(true)
    expect(cluster.applied.get(2)).toEqual({ term: 2, data: "" })
    expect([...cluster.applied.values()].some((entry) => entry.data === "X")).toBe(false)
    cluster.checkLogMatching()
  })

  it("(e) once an entry of the leader's own term is on a majority, the old entry commits and n5 cannot win", () => {
    const cluster = figure8UpToC()
    cluster.filter = (from, to) => from !== "n1" || to === "n2" || to === "n3"
    // Heartbeat periods pass for n1 only: its stalled pipeline to n3 is retransmitted.
    for (let i = 0; i < 3 * cluster.config.heartbeatTicks; i++) {
      cluster.stepNode("n1", { _tag: "Tick" })
      cluster.flush()
    }
    expect(cluster.stateOf("n1").commitIndex).toBe(3)
    cluster.crash("n1")
    cluster.filter = undefined
    cluster.restart("n5")
    cluster.forceElection("n5")
    cluster.forceElection("n5")
    expect(cluster.stateOf("n5").role).not.toBe("leader")
    expect(cluster.runUntil(() => cluster.leader() !== undefined && cluster.stateOf(cluster.leader()!).commitIndex >= 4, 500)).toBe(true)
    expect(cluster.applied.get(2)).toEqual({ term: 1, data: "X" })
  })
})

describe("Raft 5.4.1 election restriction", () => {
  it("a voter refuses a candidate whose log is less up to date, and a candidate with an equal log wins", () => {
    const cluster = new Cluster({ size: 3, seed: 3 })
    cluster.forceElection("n1")
    cluster.filter = (from, to) => from !== "n1" || to === "n2"
    cluster.stepNode("n1", { _tag: "Propose", data: ["only-on-n1-n2"] })
    cluster.flush()
    cluster.crash("n1")
    cluster.filter = undefined
    cluster.forceElection("n3")
    expect(cluster.stateOf("n3").role).not.toBe("leader")
    cluster.forceElection("n2")
    expect(cluster.stateOf("n2").role).toBe("leader")
    expect(cluster.runUntil(() => cluster.stateOf("n3").commitIndex >= 3, 200)).toBe(true)
    expect(cluster.applied.get(2)?.data).toBe("only-on-n1-n2")
  })

  it("grants at most one vote per term, also across a restart", () => {
    const cluster = new Cluster({ size: 3, seed: 4 })
    const ask = (candidate: string) => cluster.stepNode("n3", {
      _tag: "Receive", from: candidate,
      message: { _tag: "RequestVote", term: 5, candidate, lastLogIndex: 0, lastLogTerm: 0, preVote: false, transfer: false }
    }).messages
    expect(ask("n1")).toEqual([{ to: "n1", message: { _tag: "RequestVoteResponse", term: 5, granted: true, preVote: false } }])
    expect(cluster.node("n3").durable.hardState).toEqual({ term: 5, vote: "n1" })
    expect(ask("n2")[0]?.message).toMatchObject({ granted: false })
    cluster.crash("n3")
    cluster.restart("n3")
    expect(ask("n2")[0]?.message).toMatchObject({ granted: false })
    expect(ask("n1")[0]?.message).toMatchObject({ granted: true })
  })
})
