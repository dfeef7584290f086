import { describe, expect, it } from "@effect/vitest"
import { Effect, Fiber, Queue } from "effect"
import { takeAvailable } from "../../src/runtime/take-available.js"

describe("takeAvailable", () => {
  it.effect("a taker woken on an empty queue gets everything offered in the same turn, up to max", () =>
    Effect.gen(function*() {
      const queue = yield* Queue.unbounded<number>()
      const taker = yield* Effect.fork(takeAvailable(queue, 3))
      yield* Effect.yieldNow()
      yield* Effect.sync(() => [1, 2, 3, 4].forEach((n) => Queue.unsafeOffer(queue, n)))
      expect(yield* Fiber.join(taker)).toEqual([1, 2, 3])
      expect(yield* takeAvailable(queue, 3)).toEqual([4])
    }))

  it.effect("takes what is already waiting without waiting for more", () =>
    Effect.gen(function*() {
      const queue = yield* Queue.unbounded<number>()
      yield* Queue.offerAll(queue, [1, 2])
      expect(yield* takeAvailable(queue, 10)).toEqual([1, 2])
    }))
})
