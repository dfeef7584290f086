/**
 * Raft 7 log compaction: Compact drops the log prefix; a follower that needs compacted entries
 * gets the snapshot in chunks (by offset) and loads it; a matching log suffix is kept; a node
 * restarts from its persisted snapshot and entries.
 */
import { describe, expect, it } from "vitest"
import { Either } from "effect"
import type { Entry, InstallSnapshot } from "../../src/raft/messages.js"
import { initialState } from "../../src/raft/state.js"
import { step } from "../../src/raft/step.js"
import type { RaftState } from "../../src/raft/types.js"
import { Cluster, testConfig } from "./harness.js"

const entries = (from: number, to: number, term: number): Array<Entry> =>
  Array.from({ length: to - from + 1 }, (_, i) => ({ index: from + i, term, kind: "command" as const, data: `e${from + i}` }))

const follower = (log: Array<Entry>, term: number): RaftState =>
  Either.getOrThrow(initialState({
    self: "f", peers: ["f", "l", "x"], config: testConfig(), seed: 1,
    persisted: { hardState: { term, vote: null }, entries: log }
  }))

const chunk = (term: number, index: number, snapshotTerm: number, offset: number, data: string, done: boolean): InstallSnapshot => ({
  _tag: "InstallSnapshot", term, leader: "l", lastIncludedIndex: index, lastIncludedTerm: snapshotTerm, offset, data, done
})

describe("Raft 7 snapshots", () => {
  it("sends a lagging follower the snapshot in chunks, which it loads, then catches up", () => {
    const cluster = new Cluster({ size: 3, seed: 51, compactEvery: 10 })
    cluster.runUntil(() => cluster.leader() !== undefined, 300)
    const leader = cluster.leader()!
    const lagging = cluster.ids.find((id) => id !== leader)!
    cluster.crash(lagging)
    for (let i = 0; i < 40; i++) {
      cluster.stepNode(leader, { _tag: "Propose", data: [`value-${i}`] })
      cluster.tick()
    }
    cluster.runUntil(() => cluster.stateOf(leader).appliedIndex === 41, 100)
    expect(cluster.stateOf(leader).log.snapshotIndex).toBeGreaterThan(30)
    cluster.recordSent = true
    let loaded = 0
    cluster.onOutput = (id, output) => { if (id === lagging && output.applySnapshot !== undefined) loaded++ }
    cluster.restart(lagging)
    expect(cluster.runUntil(() => cluster.node(lagging).machine.applied.length === 41, 300)).toBe(true)
    const chunks = cluster.sent.filter((sent) => sent.to === lagging && sent.message._tag === "InstallSnapshot")
      .map((sent) => sent.message as InstallSnapshot)
    const offsets = [...new Set(chunks.map((message) => message.offset))]
    expect(offsets.length).toBeGreaterThan(3)
    expect(offsets).toEqual(offsets.map((_, i) => i * cluster.config.maxBytesPerAppend))
    expect(chunks.every((message) => message.data.length <= cluster.config.maxBytesPerAppend)).toBe(true)
    expect(chunks.filter((message) => message.done)).not.toHaveLength(0)
    expect(loaded).toBe(1)
    expect(cluster.node(lagging).durable.snapshot?.index).toBe(chunks[0]!.lastIncludedIndex)
    cluster.checkLogMatching()
  })

  it("keeps the log suffix after a snapshot whose last entry matches", () => {
    const { state, output } = step(follower(entries(1, 10, 1), 1), {
      _tag: "Receive", from: "l", message: chunk(1, 5, 1, 0, "snap", true)
    })
    expect(state.log.snapshotIndex).toBe(5)
    expect(state.log.lastIndex).toBe(10)
    expect(output.persist.snapshot).toEqual({ index: 5, term: 1, data: "snap" })
    expect(output.persist.truncateFrom).toBeUndefined()
    expect(output.applySnapshot).toEqual({ index: 5, term: 1, data: "snap" })
    expect(state.commitIndex).toBe(5)
    expect(output.messages[0]?.message).toMatchObject({ _tag: "InstallSnapshotResponse", matchIndex: 5, done: true })
  })

  it("discards the whole log when the snapshot's last entry conflicts", () => {
    const { state, output } = step(follower(entries(1, 10, 1), 2), {
      _tag: "Receive", from: "l", message: chunk(2, 7, 2, 0, "snap", true)
    })
    expect(state.log.lastIndex).toBe(7)
    expect(state.log.snapshotTerm).toBe(2)
    expect(output.persist.truncateFrom).toBe(8)
  })

  it("asks for the expected offset when a chunk arrives out of order, and assembles in order", () => {
    let state = follower([], 1)
    const send = (message: InstallSnapshot) => {
      const result = step(state, { _tag: "Receive", from: "l", message })
      state = result.state
      return result.output
    }
    expect(send(chunk(1, 9, 1, 4, "efgh", false)).messages[0]?.message).toMatchObject({ nextOffset: 0, done: false })
    expect(send(chunk(1, 9, 1, 0, "abcd", false)).messages[0]?.message).toMatchObject({ nextOffset: 4, done: false })
    expect(send(chunk(1, 9, 1, 0, "abcd", false)).messages[0]?.message).toMatchObject({ nextOffset: 4, done: false })
    expect(send(chunk(1, 9, 1, 8, "ijkl", true)).messages[0]?.message).toMatchObject({ nextOffset: 4, done: false })
    expect(send(chunk(1, 9, 1, 4, "efgh", false)).messages[0]?.message).toMatchObject({ nextOffset: 8, done: false })
    const last = send(chunk(1, 9, 1, 8, "ij", true))
    expect(last.applySnapshot).toEqual({ index: 9, term: 1, data: "abcdefghij" })
  })

  it("drops (and counts) a snapshot larger than maxSnapshotBytes", () => {
    const state = Either.getOrThrow(initialState({
      self: "f", peers: ["l", "x"], config: testConfig({ maxSnapshotBytes: 6 }), seed: 1
    }))
    const first = step(state, { _tag: "Receive", from: "l", message: chunk(1, 9, 1, 0, "abcd", false) })
    const second = step(first.state, { _tag: "Receive", from: "l", message: chunk(1, 9, 1, 4, "efgh", true) })
    expect(second.output.applySnapshot).toBeUndefined()
    expect(second.state.counters.droppedSnapshots).toBe(1)
    // Counted in UTF-8 bytes: three 2-byte characters are 6 bytes (fits), four are 8 (do not).
    const fits = step(state, { _tag: "Receive", from: "l", message: chunk(1, 9, 1, 0, "\u00e9\u00e9\u00e9", true) })
    expect(fits.output.applySnapshot?.data).toBe("\u00e9\u00e9\u00e9")
    const over = step(state, { _tag: "Receive", from: "l", message: chunk(1, 9, 1, 0, "\u00e9\u00e9\u00e9\u00e9", true) })
    expect(over.output.applySnapshot).toBeUndefined()
  })

  it("Compact drops the applied prefix and refuses to go beyond the applied index", () => {
    let state = Either.getOrThrow(initialState({ self: "a", peers: [], config: testConfig(), seed: 3 }))
    while (state.role !== "leader") state = step(state, { _tag: "Tick" }).state
    state = step(state, { _tag: "Propose", data: ["a", "b", "c"] }).state
    state = step(state, { _tag: "LogDurable", index: 4, term: state.term }).state
    expect(state.appliedIndex).toBe(4)
    const refused = step(state, { _tag: "Compact", index: 5, data: "x" })
    expect(refused.output.compactRejected).toMatch(/beyond the applied index/)
    const compacted = step(refused.state, { _tag: "Compact", index: 3, data: "snap" })
    expect(compacted.output.persist.snapshot).toEqual({ index: 3, term: 1, data: "snap" })
    expect(compacted.state.log.snapshotIndex).toBe(3)
    expect(compacted.state.log.lastIndex).toBe(4)
  })

  it("restarts from a persisted snapshot and entries, and refuses an inconsistent log", () => {
    const restarted = Either.getOrThrow(initialState({
      self: "a", peers: ["b", "c"], config: testConfig(), seed: 1,
      persisted: { hardState: { term: 3, vote: "b" }, snapshot: { index: 10, term: 2, data: "s" }, entries: entries(11, 12, 3) }
    }))
    expect(restarted).toMatchObject({ term: 3, vote: "b", commitIndex: 10, appliedIndex: 10, role: "follower" })
    expect(restarted.log.lastIndex).toBe(12)
    const gap = initialState({
      self: "a", peers: ["b"], config: testConfig(), seed: 1,
      persisted: { hardState: { term: 3, vote: null }, snapshot: { index: 10, term: 2, data: "s" }, entries: entries(12, 12, 3) }
    })
    expect(Either.isLeft(gap) && gap.left.message).toMatch(/entry 12 found where 11 was expected/)
  })
})
