import { afterAll, beforeAll, describe, expect, it } from "@effect/vitest"
import * as fs from "node:fs"
import * as path from "node:path"
import { fileURLToPath } from "node:url"
import { Chunk, Effect, Either, Exit, Fiber, Stream } from "effect"
import { makeWorkerPool, type WorkerPoolOptions } from "../../src/compute/pool.js"
import { resolveWorkerEntry } from "../../src/compute/worker-host.js"
import type { testHandlers } from "./fixtures/test-handlers.js"
import { bundleWorkerEntry, waitUntil } from "./helpers.js"

// Real worker threads run on real time: these tests use live clocks and short deadlines, and
// wait for events (bounded polls), never for fixed sleeps.
let testEntry: URL
beforeAll(async () => {
  testEntry = await bundleWorkerEntry(new URL("./fixtures/test-worker.ts", import.meta.url))
}, 60_000)
afterAll(() => fs.rmSync(path.dirname(fileURLToPath(testEntry)), { recursive: true, force: true }))

/** A pool whose workers have all started, so deadlines measure calls and not startup. */
const makePool = (overrides: Partial<WorkerPoolOptions> = {}) =>
  Effect.gen(function* () {
    const options: WorkerPoolOptions = {
      workers: 2, callTimeout: "3 seconds", queueCapacity: 8, restartDelay: "50 millis", startTimeout: "20 seconds", entry: testEntry, ...overrides
    }
    const pool = yield* makeWorkerPool<typeof testHandlers>(options)
    yield* waitUntil(pool.stats, (stats) => stats.workersStarted === options.workers, "20 seconds")
    return pool
  })

describe("worker pool", () => {
  it.scopedLive("finds and loads the real worker entry from TypeScript sources by default", () =>
    Effect.gen(function* () {
      expect(resolveWorkerEntry().pathname).toMatch(/src\/compute\/worker\.ts$/)
      // Through tsx a worker takes seconds to load on a busy machine: a generous start deadline.
      const pool = yield* makeWorkerPool({ workers: 1, callTimeout: "60 seconds", queueCapacity: 4, restartDelay: "1 second" })
      expect(yield* pool.run("reverse", { text: "abc" })).toEqual({ text: "cba" })
    }), 90_000)

  it.scopedLive("runs the compute handlers on workers", () =>
    Effect.gen(function* () {
      const pool = yield* makePool()
      expect(yield* pool.run("isprime", { n: 2305843009213693951n })).toEqual({ n: 2305843009213693951n, prime: true })
      expect((yield* pool.run("gcd", { a: 12n, b: 18n })).gcd).toBe(6n)
      expect((yield* pool.stats).completed).toBe(2)
    }), 60_000)

  it.scopedLive("a handler that throws fails only its call", () =>
    Effect.gen(function* () {
      const pool = yield* makePool({ workers: 1 })
      const failed = yield* Effect.either(pool.run("throws", {}))
      expect(Either.isLeft(failed) && failed.left.reason).toBe("Failed")
      expect(Either.isLeft(failed) && failed.left.message).toContain("on purpose")
      expect(yield* pool.run("slowEcho", { ms: 0, value: 5 })).toBe(5)
      expect((yield* pool.stats).workersStarted).toBe(1)
    }), 60_000)

  it.scopedLive("a hung worker times out and is replaced", () =>
    Effect.gen(function* () {
      const pool = yield* makePool({ workers: 1, callTimeout: "500 millis" })
      const startedMs = Date.now()
      const hung = yield* Effect.either(pool.run("hang", {}))
      expect(Either.isLeft(hung) && hung.left.reason).toBe("Timeout")
      expect(Date.now() - startedMs).toBeLessThan(2500)
      // The only worker was stuck in a loop: an answer now proves a new one took its place.
      yield* waitUntil(pool.stats, (stats) => stats.workersStarted === 2)
      expect(yield* pool.run("slowEcho", { ms: 0, value: 42 })).toBe(42)
    }), 60_000)

  it.scopedLive("a crashed worker fails its call cleanly and is replaced", () =>
    Effect.gen(function* () {
      const pool = yield* makePool({ workers: 1 })
      const crashed = yield* Effect.either(pool.run("crash", {}))
      expect(Either.isLeft(crashed) && crashed.left.reason).toBe("WorkerCrashed")
      expect(yield* pool.run("slowEcho", { ms: 0, value: 7 })).toBe(7)
      const stats = yield* pool.stats
      expect(stats.crashed).toBe(1)
      expect(stats.workersStarted).toBe(2)
    }), 60_000)

  it.scopedLive("past the queue capacity a call fails at once with Busy", () =>
    Effect.gen(function* () {
      const pool = yield* makePool({ workers: 1, queueCapacity: 2 })
      const running = yield* Effect.fork(pool.run("slowEcho", { ms: 600, value: 1 }))
      yield* waitUntil(pool.stats, (stats) => stats.running === 1)
      const queued = yield* Effect.forEach([2, 3], (value) => Effect.fork(pool.run("slowEcho", { ms: 0, value })))
      yield* waitUntil(pool.stats, (stats) => stats.queued === 2)
      const rejected = yield* Effect.either(pool.run("slowEcho", { ms: 0, value: 4 }))
      expect(Either.isLeft(rejected) && rejected.left.reason).toBe("Busy")
      expect(yield* Fiber.join(running)).toBe(1)
      expect(yield* Effect.forEach(queued, Fiber.join)).toEqual([2, 3])
      expect((yield* pool.stats).rejectedBusy).toBe(1)
    }), 60_000)

  it.scopedLive("streamed calls come back in input order although they finish out of order", () =>
    Effect.gen(function* () {
      const pool = yield* makePool({ workers: 2 })
      const delaysMs = [300, 0, 200, 0, 100, 0]
      const results = yield* Stream.fromIterable(delaysMs.map((ms, value) => ({ ms, value }))).pipe(
        Stream.mapEffect((input) => pool.run("slowEcho", input), { concurrency: 2 }),
        Stream.runCollect
      )
      expect(Chunk.toReadonlyArray(results)).toEqual([0, 1, 2, 3, 4, 5])
    }), 60_000)

  it.live("closing the scope fails running and waiting calls and stops every worker", () =>
    Effect.gen(function* () {
      const { pool, calls } = yield* Effect.scoped(
        Effect.gen(function* () {
          const pool = yield* makePool({ workers: 1 })
          const calls = yield* Effect.forEach([0, 1], () => Effect.fork(pool.run("hang", {})))
          yield* waitUntil(pool.stats, (stats) => stats.running === 1 && stats.queued === 1)
          return { pool, calls }
        })
      )
      for (const call of calls) {
        const exit = yield* Fiber.await(call)
        expect(Exit.isFailure(exit)).toBe(true)
      }
      const afterClose = yield* pool.stats
      expect(afterClose.running).toBe(0)
      expect(afterClose.workersAlive).toBe(0)
    }), 60_000)
})
