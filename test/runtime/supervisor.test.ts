import { describe, expect, it } from "@effect/vitest"
import { Duration, Effect, Exit, Fiber, Ref, Schedule, TestClock } from "effect"
import { restartPolicyFrom, RoleEscalated, supervise } from "../../src/runtime/supervisor.js"
import { defaultConfig } from "../../src/config/load.js"

const fixedPolicy = (maxRestarts: number) => ({
  backoff: Schedule.exponential("100 millis"),
  maxRestarts,
  maxRestartsWindow: Duration.seconds(10)
})

describe("supervise", () => {
  it.effect("restarts a dying role after the backoff delays", () =>
    Effect.gen(function*() {
      const starts = yield* Ref.make(0)
      const role = Ref.updateAndGet(starts, (n) => n + 1).pipe(Effect.flatMap(() => Effect.die("boom")))
      const fiber = yield* Effect.fork(supervise("flaky", role, fixedPolicy(10)))
      yield* TestClock.adjust("1 millis")
      expect(yield* Ref.get(starts)).toBe(1)
      yield* TestClock.adjust("99 millis")
      expect(yield* Ref.get(starts)).toBe(2) // first retry after 100 ms
      yield* TestClock.adjust("199 millis")
      expect(yield* Ref.get(starts)).toBe(2) // second waits 200 ms
      yield* TestClock.adjust("1 millis")
      expect(yield* Ref.get(starts)).toBe(3)
      yield* Fiber.interrupt(fiber)
    }))

  it.effect("escalates past the intensity limit", () =>
    Effect.gen(function*() {
      const fiber = yield* Effect.fork(supervise("hopeless", Effect.die("always"), fixedPolicy(3)))
      yield* TestClock.adjust("10 seconds")
      const exit = yield* Fiber.await(fiber)
      expect(Exit.isFailure(exit)).toBe(true)
      if (Exit.isFailure(exit)) {
        const error = exit.cause._tag === "Fail" ? exit.cause.error : undefined
        expect(error).toBeInstanceOf(RoleEscalated)
        expect((error as RoleEscalated).restarts).toBe(4)
      }
    }))

  it.effect("failures spread out beyond the window never escalate", () =>
    Effect.gen(function*() {
      const starts = yield* Ref.make(0)
      // Each run lives 11 s before dying: two restarts never fall in one 10 s window.
      const role = Ref.update(starts, (n) => n + 1).pipe(
        Effect.zipRight(Effect.sleep("11 seconds")),
        Effect.zipRight(Effect.die("late"))
      )
      const policy = { ...fixedPolicy(1), backoff: Schedule.spaced("1 millis") }
      const fiber = yield* Effect.fork(supervise("slow", role, policy))
      yield* TestClock.adjust("2 minutes")
      expect(yield* Ref.get(starts)).toBeGreaterThanOrEqual(10)
      expect(fiber.unsafePoll()).toBeNull()
      yield* Fiber.interrupt(fiber)
    }))

  it.effect("interruption stops the role without a restart", () =>
    Effect.gen(function*() {
      const starts = yield* Ref.make(0)
      const role = Ref.update(starts, (n) => n + 1).pipe(Effect.zipRight(Effect.never))
      const fiber = yield* Effect.fork(supervise("steady", role, fixedPolicy(1)))
      yield* TestClock.adjust("1 millis")
      yield* Fiber.interrupt(fiber)
      yield* TestClock.adjust("1 minute")
      expect(yield* Ref.get(starts)).toBe(1)
    }))

  it.effect("the configured policy caps the delay at restartMax", () =>
    Effect.gen(function*() {
      const config = defaultConfig()
      const policy = { ...restartPolicyFrom(config.runtime), maxRestarts: 100, maxRestartsWindow: Duration.seconds(1) }
      const starts = yield* Ref.make(0)
      const role = Ref.update(starts, (n) => n + 1).pipe(Effect.zipRight(Effect.die("x")))
      const fiber = yield* Effect.fork(supervise("capped", role, policy))
      // Without a cap, 100 ms * 2^n would exceed a minute after ~10 restarts; with a 5 s cap
      // (and jitter of at most 20%), 20 restarts fit in two minutes.
      yield* TestClock.adjust("2 minutes")
      expect(yield* Ref.get(starts)).toBeGreaterThanOrEqual(20)
      yield* Fiber.interrupt(fiber)
    }))
})
