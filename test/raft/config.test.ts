import { describe, expect, it } from "vitest"
import { Either } from "effect"
import { defaultConfig, loadConfig } from "../../src/config/load.js"
import { coreConfigFrom } from "../../src/raft/config.js"

describe("coreConfigFrom", () => {
  it("turns the configured durations into ticks (Raft lab timings: 150-300 ms, heartbeat 50 ms, tick 25 ms)", () => {
    const raft = defaultConfig().raft
    expect(coreConfigFrom(raft)).toMatchObject({
      electionTicksMin: 6,
      electionTicksMax: 12,
      heartbeatTicks: 2,
      maxEntriesPerAppend: raft.maxEntriesPerAppend,
      maxBytesPerAppend: raft.maxBytesPerAppend,
      maxInflightAppends: raft.maxInflightAppends,
      maxPendingProposals: raft.maxPendingProposals,
      maxPendingReads: raft.maxPendingReads
    })
  })

  it("follows a different tick length", () => {
    const config = Either.getOrThrow(loadConfig({ overrides: { raft: { tick: "5 millis" } } }))
    expect(coreConfigFrom(config.raft)).toMatchObject({ electionTicksMin: 30, electionTicksMax: 60, heartbeatTicks: 10 })
  })
})
