/**
 * Raft 5.2 elections with randomized timeouts, pre-vote and check-quorum (thesis 9.6): a node
 * cut off and rejoining cannot depose a healthy leader; a leader cut off from a quorum steps down.
 */
import { describe, expect, it } from "vitest"
import { Either } from "effect"
import { initialState } from "../../src/raft/state.js"
import { step } from "../../src/raft/step.js"
import type { RaftState } from "../../src/raft/types.js"
import { Cluster, testConfig } from "./harness.js"

const single = (seed: number): RaftState =>
  Either.getOrThrow(initialState({ self: "a", peers: ["a"], config: testConfig(), seed }))

describe("Raft 5.2 leader election", () => {
  it("a single node elects itself after its randomized timeout and commits its no-op", () => {
    let state = single(1)
    const timeout = state.randomizedElectionTicks
    expect(timeout).toBeGreaterThanOrEqual(15)
    expect(timeout).toBeLessThanOrEqual(30)
    for (let tick = 1; tick < timeout; tick++) state = step(state, { _tag: "Tick" }).state
    expect(state.role).toBe("follower")
    const { state: next, output } = step(state, { _tag: "Tick" })
    expect(output.softState).toEqual({ role: "leader", term: 1, leader: "a" })
    expect(output.persist.hardState).toEqual({ term: 1, vote: "a" })
    expect(output.persist.entries.map((entry) => entry.kind)).toEqual(["noop"])
    // Committed once its own disk has it, not before: it is the whole majority.
    expect(next.commitIndex).toBe(0)
    const durable = step(next, { _tag: "LogDurable", index: 1, term: 1 })
    expect(durable.output.apply.map((entry) => entry.kind)).toEqual(["noop"])
    expect(durable.state.commitIndex).toBe(1)
  })

  it("draws election timeouts from the seed: different seeds differ, the same seed repeats", () => {
    const timeouts = new Set(Array.from({ length: 20 }, (_, seed) => single(seed).randomizedElectionTicks))
    expect(timeouts.size).toBeGreaterThan(5)
    expect(single(42).randomizedElectionTicks).toBe(single(42).randomizedElectionTicks)
  })

  it("a 5-node cluster elects exactly one leader, which the others follow", () => {
    for (let seed = 1; seed <= 20; seed++) {
      const cluster = new Cluster({ size: 5, seed })
      expect(cluster.runUntil(() => cluster.live().every((node) => node.state!.leader !== null && node.state!.role !== "precandidate"), 300)).toBe(true)
      const leaders = cluster.live().filter((node) => node.state!.role === "leader")
      expect(leaders).toHaveLength(1)
      expect(new Set(cluster.live().map((node) => node.state!.leader))).toEqual(new Set([leaders[0]!.id]))
    }
  })

  it("re-elects after the leader crashes, at a higher term", () => {
    const cluster = new Cluster({ size: 3, seed: 5 })
    cluster.runUntil(() => cluster.leader() !== undefined, 300)
    const first = cluster.leader()!
    const firstTerm = cluster.stateOf(first).term
    cluster.crash(first)
    expect(cluster.runUntil(() => cluster.leader() !== undefined, 300)).toBe(true)
    expect(cluster.leader()).not.toBe(first)
    expect(cluster.stateOf(cluster.leader()!).term).toBeGreaterThan(firstTerm)
  })
})

describe("pre-vote and check-quorum (thesis 9.6)", () => {
  it("an isolated follower does not raise its term, and on rejoining cannot depose the leader", () => {
    const cluster = new Cluster({ size: 3, seed: 7 })
    cluster.runUntil(() => cluster.leader() !== undefined, 300)
    const leader = cluster.leader()!
    const term = cluster.stateOf(leader).term
    const loner = cluster.ids.find((id) => id !== leader)!
    cluster.isolate(loner)
    cluster.runUntil(() => false, 500)
    expect(cluster.stateOf(loner).term).toBe(term)
    expect(cluster.stateOf(loner).role).not.toBe("leader")
    cluster.heal()
    cluster.runUntil(() => false, 200)
    expect(cluster.leader()).toBe(leader)
    expect(cluster.stateOf(leader).term).toBe(term)
    expect(cluster.stateOf(loner).leader).toBe(leader)
  })

  it("followers in their leader lease ignore a vote request even at a higher term", () => {
    const cluster = new Cluster({ size: 3, seed: 9 })
    cluster.runUntil(() => cluster.leader() !== undefined, 300)
    const leader = cluster.leader()!
    const [voter, other] = cluster.ids.filter((id) => id !== leader) as [string, string]
    cluster.tick()
    const term = cluster.stateOf(voter).term
    const request = (transfer: boolean) => ({
      _tag: "Receive" as const, from: other,
      message: { _tag: "RequestVote" as const, term: term + 5, candidate: other, lastLogIndex: 99, lastLogTerm: term, preVote: false, transfer }
    })
    const ignored = cluster.stepNode(voter, request(false))
    expect(ignored.messages).toEqual([])
    expect(cluster.stateOf(voter).term).toBe(term)
    const granted = cluster.stepNode(voter, request(true))
    expect(granted.messages[0]?.message).toMatchObject({ _tag: "RequestVoteResponse", granted: true, term: term + 5 })
  })

  it("a leader that cannot reach a quorum steps down within two minimum election timeouts", () => {
    const cluster = new Cluster({ size: 5, seed: 11 })
    cluster.runUntil(() => cluster.leader() !== undefined, 300)
    const leader = cluster.leader()!
    cluster.isolate(leader)
    const stepped = cluster.runUntil(() => cluster.stateOf(leader).role !== "leader", 2 * cluster.config.electionTicksMin)
    expect(stepped).toBe(true)
    expect(cluster.runUntil(() => cluster.leader() !== undefined && cluster.leader() !== leader, 300)).toBe(true)
  })

  it("a partitioned minority never elects a leader while the majority keeps one", () => {
    const cluster = new Cluster({ size: 5, seed: 13 })
    cluster.runUntil(() => cluster.leader() !== undefined, 300)
    const leader = cluster.leader()!
    const minority = cluster.ids.filter((id) => id !== leader).slice(0, 2)
    cluster.partition(minority)
    for (let tick = 0; tick < 600; tick++) {
      cluster.tick()
      for (const id of minority) expect(cluster.stateOf(id).role).not.toBe("leader")
    }
    expect(cluster.leader()).toBe(leader)
  })
})
