import { describe, expect, it } from "@effect/vitest"
import { Effect, Exit, Random } from "effect"
import { makeSimCluster } from "../../src/sim/cluster.js"
import { VirtualTime } from "../../src/sim/virtual-time.js"

describe("sim cluster smoke", () => {
  it("elects a leader and serves a write and a read through followers, in virtual time", () => {
    const started = Date.now()
    const time = new VirtualTime()
    const program = Effect.scoped(Effect.gen(function*() {
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
      yield* Effect.sleep("60 seconds")
      return (yield* cluster.leader)!.term
    }))
    const exit = time.run(program, Random.make(1), { maxTimeMs: 120_000, maxTasks: 50_000_000 })
    console.log("wall ms", Date.now() - started, "virtual ms", time.now, "tasks", time.tasksRun, exit._tag)
    expect(Exit.isSuccess(exit)).toBe(true)
  }, 120_000)
})
