import { describe, expect, it } from "@effect/vitest"
import { Effect, Exit } from "effect"
import { makeSimCluster } from "../../src/sim/cluster.js"
import { runVirtual } from "../../src/sim/run-virtual.js"

describe("sim cluster smoke", () => {
  it("elects a leader and serves a write and a read through followers, in virtual time", () => {
    const { exit } = runVirtual(Effect.scoped(Effect.gen(function*() {
      const cluster = yield* makeSimCluster({ seed: 1, size: 3, linkFaults: { delayMinMs: 1, delayMaxMs: 5 } })
      yield* Effect.sleep("1 second")
      const leader = yield* cluster.leader
      expect(leader).toBeDefined()
      const follower = cluster.ids.find((id) => id !== leader!.id)!
      const old = yield* cluster.replica(follower)!.kv.execute({ _tag: "put", key: "k", value: "v" })
      expect(old).toEqual({ _tag: "value", value: null })
      const other = cluster.ids.find((id) => id !== leader!.id && id !== follower)!
      const read = yield* cluster.replica(other)!.kv.execute({ _tag: "get", key: "k" })
      expect(read).toEqual({ _tag: "value", value: "v" })
      yield* Effect.sleep("10 seconds")
      expect(cluster.monitor.violations).toEqual([])
      // A healthy cluster keeps its leader: no spurious elections in 10 s of heartbeats.
      expect((yield* cluster.leader)!.term).toBe(leader!.term)
    })), { seed: 1 })
    expect(Exit.isSuccess(exit) ? "success" : String(exit.cause)).toBe("success")
  }, 60_000)
})
