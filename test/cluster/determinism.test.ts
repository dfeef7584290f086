import { describe, expect, it } from "@effect/vitest"
import { runSwarmSeed } from "../../src/sim/swarm.js"

describe("whole-cluster determinism", () => {
  it("the same seed gives the same run: identical network traces and client histories", () => {
    for (const seed of [3, 12]) {
      const first = runSwarmSeed(seed)
      const second = runSwarmSeed(seed)
      expect(first.ok, `seed ${seed}: ${first.problems.join("; ")}`).toBe(true)
      expect(second.traceDigest).toBe(first.traceDigest)
      expect(second.history).toEqual(first.history)
      expect(second.faults).toEqual(first.faults)
    }
  }, 120_000)

  it("another seed gives another run", () => {
    expect(runSwarmSeed(4).traceDigest).not.toBe(runSwarmSeed(5).traceDigest)
  }, 120_000)
})
