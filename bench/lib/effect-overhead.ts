/**
 * What the acceptor's per-request Effect plumbing costs by itself, with no Raft and no I/O:
 * one `runPromiseExit` per request (as src/http/acceptor.ts does), wrapped in the timeout and
 * status lookup it adds, and a Deferred completed by a separate "raft loop" fiber reading a
 * bounded queue (as src/roles/raft-role.ts does for proposals and reads). CPU µs per request,
 * 64 requests in flight, to set against a bare node:http request (see bench/kv.ts's baseline).
 * Run: node --import tsx bench/lib/effect-overhead.ts
 */
import { Deferred, Duration, Effect, Exit, Queue, Ref, Runtime } from "effect"

const REQUESTS_PER_CASE = 50_000
const IN_FLIGHT = 64
const MAILBOX_CAPACITY = 4096
const REQUEST_TIMEOUT = Duration.seconds(5)

interface Pending {
  readonly done: Deferred.Deferred<number>
}

const program = Effect.gen(function*() {
  const runtime = yield* Effect.runtime<never>()
  const runExit = Runtime.runPromiseExit(runtime)
  const status = yield* Ref.make({ role: "leader", leader: "127.0.0.1:1" })
  const mailbox = yield* Queue.dropping<Pending>(MAILBOX_CAPACITY)
  // The stand-in for the Raft loop: drain a batch, complete every waiter.
  yield* Effect.forkDaemon(Effect.forever(Effect.flatMap(Queue.takeBetween(mailbox, 1, MAILBOX_CAPACITY), (batch) =>
    Effect.forEach(batch, (pending) => Deferred.succeed(pending.done, 1), { discard: true }))))
  const throughLoop = Effect.flatMap(Deferred.make<number>(), (done) => Effect.zipRight(Queue.offer(mailbox, { done }), Deferred.await(done)))
  const withTimeout = <A>(effect: Effect.Effect<A>) =>
    Effect.timeoutTo(effect, { duration: REQUEST_TIMEOUT, onTimeout: () => undefined, onSuccess: (value) => value })

  const cases: ReadonlyArray<readonly [string, () => Effect.Effect<unknown>]> = [
    ["runPromiseExit(succeed) only", () => Effect.succeed(1)],
    ["+ timeoutTo (acceptor's request timeout)", () => withTimeout(Effect.succeed(1))],
    ["+ zip(status) (acceptor's leader header)", () => Effect.zip(withTimeout(Effect.succeed(1)), Ref.get(status))],
    ["Deferred through a loop fiber (raft-role)", () => throughLoop],
    ["acceptor pattern: all of the above", () => Effect.zip(withTimeout(throughLoop), Ref.get(status))]
  ]

  const measure = (make: () => Effect.Effect<unknown>) =>
    Effect.promise(async () => {
      let started = 0
      const client = async () => {
        while (started < REQUESTS_PER_CASE) {
          started++
          const exit = await runExit(make())
          if (Exit.isFailure(exit)) throw new Error("a benchmark case failed")
        }
      }
      const cpuBefore = process.cpuUsage()
      const wallBefore = performance.now()
      await Promise.all(Array.from({ length: IN_FLIGHT }, client))
      const cpu = process.cpuUsage(cpuBefore)
      return { cpuUs: (cpu.user + cpu.system) / started, wallUs: ((performance.now() - wallBefore) * 1000) / started }
    })

  console.log(`Effect plumbing per request (${REQUESTS_PER_CASE} requests, ${IN_FLIGHT} in flight; one warm-up pass each)`)
  for (const [name, make] of cases) {
    yield* measure(make)
    const { cpuUs, wallUs } = yield* measure(make)
    console.log(`  ${name.padEnd(44)} ${cpuUs.toFixed(1).padStart(7)} µs CPU  ${wallUs.toFixed(1).padStart(7)} µs wall`)
  }
})

Effect.runPromise(program).catch((error: unknown) => {
  console.error(error)
  process.exitCode = 1
})
