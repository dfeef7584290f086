/**
 * Compute benchmark (issue 6). Run: `node --import tsx bench/compute.ts [seconds]`.
 *
 * 1. isprime calls/s on small numbers through the typed SDK (RpcClient over loopback HTTP,
 *    NDJSON) against one in-process node endpoint, with `concurrency` calls in flight.
 * 2. Heartbeat latency while every worker is busy with large primes: a 50 ms interval on the
 *    main thread (the Raft heartbeat period) records how late each tick fires, and
 *    perf_hooks.monitorEventLoopDelay records the loop's delay. For contrast, the time one
 *    such prime takes when run inline on the main thread (what a heartbeat would wait).
 */
import * as fs from "node:fs"
import * as http from "node:http"
import * as os from "node:os"
import * as path from "node:path"
import { fileURLToPath, pathToFileURL } from "node:url"
import { build } from "esbuild"
import { monitorEventLoopDelay } from "node:perf_hooks"
import { HttpRouter, HttpServer } from "@effect/platform"
import { NodeHttpServer } from "@effect/platform-node"
import { RpcSerialization, RpcServer } from "@effect/rpc"
import { Duration, Effect, Fiber, Layer, Schedule } from "effect"
import { isPrime } from "../actors/prime/miller-rabin.js"
import { defaultConfig } from "../src/config/load.js"
import { ComputeHandlersLive, ComputeRpcClient, ComputeRpcs, computeRpcClientLayer } from "../src/compute/rpc.js"
import { Compute, makeCompute } from "../src/compute/service.js"

const seconds = Number(process.argv[2] ?? "5")
const concurrency = 32
const config = defaultConfig()
const heartbeatMs = Duration.toMillis(config.raft.heartbeatEvery)
// A 3 000-digit Mersenne prime: seconds of CPU per test, so workers stay busy.
const largePrime = (2n ** 9941n - 1n).toString()

const percentile = (sorted: ReadonlyArray<number>, p: number): number =>
  sorted.length === 0 ? Number.NaN : sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!

/**
 * Workers load the compute entry as plain JS, as from the built dist/ (through tsx from
 * sources each call costs several times more): bundle it once into a temp dir.
 */
const bundledWorkerEntry = Effect.acquireRelease(
  Effect.promise(async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "troupe-bench-"))
    const outfile = path.join(dir, "worker.mjs")
    await build({ entryPoints: [fileURLToPath(new URL("../src/compute/worker.ts", import.meta.url))], bundle: true, format: "esm", platform: "node", outfile, logLevel: "error" })
    return pathToFileURL(outfile)
  }),
  (entry) => Effect.sync(() => fs.rmSync(path.dirname(fileURLToPath(entry)), { recursive: true, force: true }))
)

const serve = HttpRouter.Default.serve().pipe(
  Layer.provide(RpcServer.layer(ComputeRpcs)),
  Layer.provide(ComputeHandlersLive),
  Layer.provideMerge(Layer.scoped(Compute, Effect.flatMap(bundledWorkerEntry, (entry) => makeCompute({ config, entry })))),
  Layer.provide(RpcServer.layerProtocolHttp({ path: "/rpc" })),
  Layer.provide(RpcSerialization.layerNdjson),
  Layer.provideMerge(NodeHttpServer.layer(() => http.createServer(), { port: 0, host: "127.0.0.1" }))
)

const throughput = Effect.gen(function* () {
  const client = yield* ComputeRpcClient
  const latenciesMs: Array<number> = []
  const deadline = Date.now() + seconds * 1000
  let n = 1_000_003
  const caller = Effect.gen(function* () {
    while (Date.now() < deadline) {
      const started = performance.now()
      yield* client.IsPrime({ n: String(n++) })
      latenciesMs.push(performance.now() - started)
    }
  })
  const startedMs = Date.now()
  yield* Effect.all(Array.from({ length: concurrency }, () => caller), { concurrency: "unbounded" })
  const elapsedS = (Date.now() - startedMs) / 1000
  latenciesMs.sort((a, b) => a - b)
  console.log(`isprime small numbers via SDK: ${latenciesMs.length} calls in ${elapsedS.toFixed(1)} s = ${(latenciesMs.length / elapsedS).toFixed(0)} calls/s ` +
    `(concurrency ${concurrency}, ${config.compute.workers} workers; latency p50 ${percentile(latenciesMs, 50).toFixed(2)} ms, p99 ${percentile(latenciesMs, 99).toFixed(2)} ms)`)
})

const heartbeatWhileBusy = Effect.gen(function* () {
  const compute = yield* Compute
  const client = yield* ComputeRpcClient
  const busy = yield* Effect.fork(
    Effect.all(Array.from({ length: config.compute.workers * 2 }, () => Effect.forever(client.IsPrime({ n: largePrime }))), { concurrency: "unbounded" })
  )
  yield* Effect.repeat(compute.stats, { until: (stats) => stats.running === config.compute.workers, schedule: Schedule.spaced("10 millis") })
  const lateMs: Array<number> = []
  const loopDelay = monitorEventLoopDelay({ resolution: 10 })
  loopDelay.enable()
  yield* Effect.async<void>((resume) => {
    let expected = performance.now() + heartbeatMs
    const timer = setInterval(() => {
      const now = performance.now()
      lateMs.push(now - expected)
      expected = now + heartbeatMs
    }, heartbeatMs)
    setTimeout(() => {
      clearInterval(timer)
      resume(Effect.void)
    }, seconds * 1000)
  })
  loopDelay.disable()
  const stats = yield* compute.stats
  yield* Fiber.interrupt(busy)
  lateMs.sort((a, b) => a - b)
  console.log(`heartbeat every ${heartbeatMs} ms while ${config.compute.workers}/${config.compute.workers} workers test a ${largePrime.length}-digit prime: ` +
    `${lateMs.length} ticks, lateness p50 ${percentile(lateMs, 50).toFixed(2)} ms, p99 ${percentile(lateMs, 99).toFixed(2)} ms, max ${lateMs.at(-1)?.toFixed(2)} ms; ` +
    `event-loop delay p99 ${(loopDelay.percentile(99) / 1e6).toFixed(2)} ms, max ${(loopDelay.max / 1e6).toFixed(2)} ms (running ${stats.running}, queued ${stats.queued})`)
  const inlineStarted = performance.now()
  isPrime(BigInt(largePrime))
  console.log(`the same test inline on the main thread would block heartbeats for ${(performance.now() - inlineStarted).toFixed(0)} ms`)
})

const main = Effect.gen(function* () {
  const hostPort = yield* HttpServer.addressWith((address) => Effect.succeed(address._tag === "TcpAddress" ? `127.0.0.1:${address.port}` : ""))
  const compute = yield* Compute
  yield* Effect.repeat(compute.stats, { until: (stats) => stats.workersAlive === config.compute.workers, schedule: Schedule.spaced("10 millis") })
  yield* Effect.gen(function* () {
    yield* throughput
    yield* heartbeatWhileBusy
  }).pipe(Effect.provide(computeRpcClientLayer(`http://${hostPort}/rpc`)))
}).pipe(Effect.provide(serve))

Effect.runPromise(Effect.scoped(main)).then(
  () => process.exit(0),
  (error) => {
    console.error(error)
    process.exit(1)
  }
)
