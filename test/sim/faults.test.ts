import { Either } from "effect"
import { describe, expect, it } from "vitest"
import {
  canReach,
  decideSendFate,
  healedTopology,
  type LinkFaults,
  mergeLinkFaults,
  perfectLink,
  type SendRolls,
  withBridge,
  withCut,
  withIsolated,
  withPartition
} from "../../src/sim/faults.js"

const rolls = (overrides: Partial<SendRolls> = {}): SendRolls => ({
  loss: 0.5,
  duplicate: 0.5,
  reorder: 0.5,
  delay: 0.5,
  duplicateDelay: 0.5,
  reorderExtra: 0.5,
  ...overrides
})

const faults = (overrides: Partial<LinkFaults>): LinkFaults => ({ ...perfectLink, ...overrides })

describe("topology", () => {
  it("healed: everyone reaches everyone", () => {
    expect(canReach(healedTopology, "a", "b")).toBe(true)
  })

  it("symmetric partition; unlisted nodes form one group", () => {
    const topology = withPartition(healedTopology, [["a", "b"], ["c"]])
    expect(canReach(topology, "a", "b")).toBe(true)
    expect(canReach(topology, "a", "c")).toBe(false)
    expect(canReach(topology, "c", "a")).toBe(false)
    expect(canReach(topology, "d", "e")).toBe(true)
    expect(canReach(topology, "d", "a")).toBe(false)
  })

  it("one-way cut", () => {
    const topology = withCut(healedTopology, "a", "b")
    expect(canReach(topology, "a", "b")).toBe(false)
    expect(canReach(topology, "b", "a")).toBe(true)
  })

  it("isolated node reaches nobody but itself", () => {
    const topology = withIsolated(healedTopology, "c")
    expect(canReach(topology, "c", "a")).toBe(false)
    expect(canReach(topology, "a", "c")).toBe(false)
    expect(canReach(topology, "a", "b")).toBe(true)
    expect(canReach(topology, "c", "c")).toBe(true)
  })

  it("bridge sees both halves, the halves do not see each other", () => {
    const topology = withBridge(healedTopology, ["a", "b"], ["d", "e"], "c")
    expect(canReach(topology, "a", "c")).toBe(true)
    expect(canReach(topology, "c", "e")).toBe(true)
    expect(canReach(topology, "e", "c")).toBe(true)
    expect(canReach(topology, "a", "b")).toBe(true)
    expect(canReach(topology, "a", "d")).toBe(false)
    expect(canReach(topology, "e", "b")).toBe(false)
  })
})

describe("decideSendFate", () => {
  it("loses when the loss roll is under the probability", () => {
    expect(decideSendFate(faults({ lossProbability: 0.3 }), rolls({ loss: 0.29 }))._tag).toBe("Lost")
    expect(decideSendFate(faults({ lossProbability: 0.3 }), rolls({ loss: 0.31 }))._tag).toBe("Sent")
  })

  it("samples the delay uniformly over the inclusive range", () => {
    const link = faults({ delayMinMs: 10, delayMaxMs: 19 })
    const delayFor = (roll: number) => {
      const fate = decideSendFate(link, rolls({ delay: roll }))
      return fate._tag === "Sent" ? fate.delayMs : -1
    }
    expect(delayFor(0)).toBe(10)
    expect(delayFor(0.999999)).toBe(19)
    expect(delayFor(0.5)).toBe(15)
  })

  it("duplicates and reorders by their rolls", () => {
    const link = faults({ delayMinMs: 5, delayMaxMs: 5, duplicateProbability: 0.5, reorderProbability: 0.5, reorderExtraMaxMs: 10 })
    const fate = decideSendFate(link, rolls({ duplicate: 0.1, reorder: 0.1, reorderExtra: 0 }))
    expect(fate).toEqual({ _tag: "Sent", delayMs: 6, reordered: true, duplicateDelayMs: 5 })
    const plain = decideSendFate(link, rolls({ duplicate: 0.9, reorder: 0.9 }))
    expect(plain).toEqual({ _tag: "Sent", delayMs: 5, reordered: false, duplicateDelayMs: undefined })
  })
})

describe("mergeLinkFaults", () => {
  it("accepts a valid update and rejects bad ones with a reason", () => {
    expect(mergeLinkFaults("t", perfectLink, { delayMaxMs: 9 })).toEqual(Either.right({ ...perfectLink, delayMaxMs: 9 }))
    const overProbability = mergeLinkFaults("t", perfectLink, { lossProbability: 1.5 })
    expect(Either.isLeft(overProbability)).toBe(true)
    const inverted = mergeLinkFaults("t", perfectLink, { delayMinMs: 10, delayMaxMs: 2 })
    expect(Either.isLeft(inverted) && inverted.left.message).toContain("delayMinMs must not exceed delayMaxMs")
    expect(Either.isLeft(mergeLinkFaults("t", perfectLink, { delayMinMs: 1.5, delayMaxMs: 3 }))).toBe(true)
  })
})
