import { describe, expect, it } from "@effect/vitest"
import { Deferred, Effect, Fiber } from "effect"
import { eventLoopTurnScheduler } from "../../src/runtime/event-loop-turn-scheduler.js"

const onTurnScheduler = <A, E, R>(effect: Effect.Effect<A, E, R>) => Effect.withScheduler(effect, eventLoopTurnScheduler)

describe("eventLoopTurnScheduler", () => {
  it("a fiber woken by another fiber on it runs in the same event-loop turn", async () => {
    const order: Array<string> = []
    await Effect.runPromise(Effect.gen(function*() {
      const wake = yield* Deferred.make<void>()
      const woken = yield* Effect.fork(onTurnScheduler(Effect.zipRight(Deferred.await(wake), Effect.sync(() => order.push("woken")))))
      const waker = yield* Effect.fork(onTurnScheduler(Effect.gen(function*() {
        yield* Effect.yieldNow() // from here on, inside the scheduler's drain
        setImmediate(() => order.push("next turn"))
        yield* Deferred.succeed(wake, undefined)
      })))
      yield* Fiber.join(waker)
      yield* Fiber.join(woken)
      yield* Effect.promise(() => new Promise((resolve) => setImmediate(resolve)))
    }))
    expect(order).toEqual(["woken", "next turn"])
  })

  it("a fiber that keeps yielding lets the event loop take its turn", async () => {
    let otherTurns = 0
    const yields = await Effect.runPromise(onTurnScheduler(Effect.gen(function*() {
      yield* Effect.yieldNow()
      setImmediate(() => otherTurns++)
      let count = 0
      while (otherTurns === 0 && count < 10_000) {
        yield* Effect.yieldNow()
        count++
      }
      return count
    })))
    expect(otherTurns).toBe(1)
    expect(yields).toBeLessThan(100)
  })
})
