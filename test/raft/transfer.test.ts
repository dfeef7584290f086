/**
 * Leadership transfer (thesis 3.10): the target is brought up to date, gets TimeoutNow and wins
 * at once (past the voters' leases); proposals are refused meanwhile; a transfer to a dead
 * target is aborted after an election timeout.
 */
import { describe, expect, it } from "vitest"
import { Cluster } from "./harness.js"

const stable = (seed: number) => {
  const cluster = new Cluster({ size: 3, seed })
  cluster.runUntil(() => cluster.leader() !== undefined && cluster.stateOf(cluster.leader()!).commitIndex === 1, 300)
  cluster.runUntil(() => cluster.live().every((node) => node.state!.commitIndex === 1), 50)
  return { cluster, leader: cluster.leader()! }
}

describe("leadership transfer", () => {
  it("hands leadership to a lagging target after catching it up, well before an election timeout", () => {
    const { cluster, leader } = stable(71)
    const target = cluster.ids.find((id) => id !== leader)!
    cluster.filter = (_from, to) => to !== target
    for (let i = 0; i < 5; i++) cluster.stepNode(leader, { _tag: "Propose", data: [`p${i}`] })
    cluster.runUntil(() => cluster.stateOf(leader).commitIndex === 6, 50)
    expect(cluster.stateOf(target).log.lastIndex).toBe(1)
    cluster.filter = undefined
    cluster.recordSent = true
    const started = cluster.stepNode(leader, { _tag: "TransferLeadership", to: target })
    expect(started.transferEvents).toEqual([{ _tag: "TransferStarted", to: target }])
    expect(cluster.stepNode(leader, { _tag: "Propose", data: ["refused"] }).proposalRejected).toEqual({ reason: "transferring", leader })
    const term = cluster.stateOf(leader).term
    expect(cluster.runUntil(() => cluster.leader() === target, cluster.config.electionTicksMin - 1)).toBe(true)
    expect(cluster.stateOf(target).term).toBe(term + 1)
    const timeoutNow = cluster.sent.findIndex((sent) => sent.message._tag === "TimeoutNow")
    // The target was caught up (received the missing entries) before TimeoutNow was sent.
    const appendsBefore = cluster.sent.slice(0, timeoutNow).filter((sent) =>
      sent.to === target && sent.message._tag === "AppendEntries" && sent.message.entries.length > 0)
    expect(appendsBefore.length).toBeGreaterThan(0)
    expect(timeoutNow).toBeGreaterThan(0)
    expect(cluster.runUntil(() => cluster.stateOf(leader).leader === target, 50)).toBe(true)
    expect(cluster.stepNode(target, { _tag: "Propose", data: ["after"] }).proposed).toBeDefined()
  })

  it("picks the most up-to-date follower when no target is named", () => {
    const { cluster, leader } = stable(72)
    const started = cluster.stepNode(leader, { _tag: "TransferLeadership" })
    expect(started.transferEvents[0]).toMatchObject({ _tag: "TransferStarted" })
    expect(cluster.runUntil(() => cluster.leader() !== undefined && cluster.leader() !== leader, 30)).toBe(true)
  })

  it("aborts after an election timeout when the target is down, then accepts proposals again", () => {
    const { cluster, leader } = stable(73)
    const [target] = cluster.ids.filter((id) => id !== leader) as [string]
    cluster.crash(target)
    const events: Array<string> = []
    cluster.onOutput = (id, output) => { if (id === leader) events.push(...output.transferEvents.map((event) => event._tag)) }
    cluster.stepNode(leader, { _tag: "TransferLeadership", to: target })
    expect(cluster.runUntil(() => events.includes("TransferAborted"), cluster.config.electionTicksMax + 1)).toBe(true)
    expect(cluster.leader()).toBe(leader)
    expect(cluster.stepNode(leader, { _tag: "Propose", data: ["again"] }).proposed).toBeDefined()
  })

  it("rejects a transfer on a follower or to a non-member", () => {
    const { cluster, leader } = stable(74)
    const follower = cluster.ids.find((id) => id !== leader)!
    expect(cluster.stepNode(follower, { _tag: "TransferLeadership", to: leader }).transferEvents)
      .toEqual([{ _tag: "TransferRejected", reason: "not-leader", leader }])
    expect(cluster.stepNode(leader, { _tag: "TransferLeadership", to: "nobody" }).transferEvents[0])
      .toMatchObject({ _tag: "TransferRejected" })
  })
})
