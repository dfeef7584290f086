import { afterAll, beforeAll, describe, expect, it } from "@effect/vitest"
import * as fs from "node:fs"
import * as http from "node:http"
import * as path from "node:path"
import { fileURLToPath } from "node:url"
import { HttpRouter, HttpServer } from "@effect/platform"
import { NodeHttpServer } from "@effect/platform-node"
import { RpcSerialization, RpcServer } from "@effect/rpc"
import { Chunk, Effect, Either, Layer, Stream } from "effect"
import { defaultConfig } from "../../src/config/load.js"
import { computeClient } from "../../src/compute/client.js"
import { ComputeHandlersLive, ComputeRpcClient, ComputeRpcs, computeRpcClientLayer } from "../../src/compute/rpc.js"
import { Compute, makeCompute } from "../../src/compute/service.js"
import { bundleWorkerEntry } from "./helpers.js"

let workerEntry: URL
beforeAll(async () => {
  workerEntry = await bundleWorkerEntry(new URL("../../src/compute/worker.ts", import.meta.url))
}, 60_000)
afterAll(() => fs.rmSync(path.dirname(fileURLToPath(workerEntry)), { recursive: true, force: true }))

/** The node's mounting, reduced to compute: RpcServer over HTTP at /rpc on a loopback port. */
const serveCompute = () => {
  const config = defaultConfig()
  const computeLayer = Layer.scoped(Compute, makeCompute({ config, entry: workerEntry }))
  return HttpRouter.Default.serve().pipe(
    Layer.provide(RpcServer.layer(ComputeRpcs)),
    Layer.provide(ComputeHandlersLive),
    Layer.provide(computeLayer),
    Layer.provide(RpcServer.layerProtocolHttp({ path: "/rpc" })),
    Layer.provide(RpcSerialization.layerNdjson),
    Layer.provideMerge(NodeHttpServer.layer(() => http.createServer(), { port: 0, host: "127.0.0.1" }))
  )
}

const hostPortOf = HttpServer.addressWith((address) =>
  Effect.succeed(address._tag === "TcpAddress" ? `127.0.0.1:${address.port}` : "unix socket")
)

describe("compute over RPC (real loopback HTTP)", () => {
  it.live("typed SDK round trips, streaming in order, typed errors", () =>
    Effect.gen(function* () {
      const hostPort = yield* hostPortOf
      yield* Effect.gen(function* () {
        const client = yield* ComputeRpcClient
        // 14567 = 7 × 2081
        expect(yield* client.IsPrime({ n: "2305843009213693951" })).toEqual({ n: 2305843009213693951n, prime: true })
        expect(yield* client.Gcd({ a: "12", b: "18" })).toEqual({ a: 12n, b: 18n, gcd: 6n })
        expect(yield* client.Reverse({ text: "hello world" })).toEqual({ text: "dlrow olleh" })
        expect(yield* client.Split({ text: "a b c" })).toEqual({ count: 3, parts: ["a", "b", "c"] })
        const streamed = yield* Stream.runCollect(client.IsPrimeStream({ numbers: ["2", "10", "5555", "14567"] }))
        expect(Chunk.toReadonlyArray(streamed).map((answer) => [answer.n, answer.prime])).toEqual([[2n, true], [10n, false], [5555n, false], [14567n, false]])
        const bad = yield* Effect.either(client.IsPrime({ n: "twelve" }))
        expect(Either.isLeft(bad) && bad.left._tag === "ComputeError" && bad.left.reason).toBe("BadInput")
        const tooLong = yield* Effect.either(client.Gcd({ a: "9".repeat(5000), b: "1" }))
        expect(Either.isLeft(tooLong) && tooLong.left._tag === "ComputeError" && tooLong.left.message).toContain("too long")
      }).pipe(Effect.provide(computeRpcClientLayer(`http://${hostPort}/rpc`)))
    }).pipe(Effect.provide(serveCompute())), 60_000)

  it.live("the Promise client fails over past a dead node", () =>
    Effect.gen(function* () {
      const hostPort = yield* hostPortOf
      // Port 1 on loopback: nothing listens there, so the first node is unreachable.
      const client = computeClient({ hosts: ["127.0.0.1:1", hostPort] })
      try {
        expect(yield* Effect.promise(() => client.isPrime(97n))).toEqual({ n: 97n, prime: true })
        expect((yield* Effect.promise(() => client.gcd(21, 14))).gcd).toBe(7n)
        expect(yield* Effect.promise(() => client.reverse("a😀b"))).toBe("b😀a")
        expect(yield* Effect.promise(() => client.split("x,y", ","))).toEqual({ count: 2, parts: ["x", "y"] })
        expect((yield* Effect.promise(() => client.isPrimeMany([15492781, 15492810]))).map((a) => a.prime)).toEqual([true, false])
        const rejected = yield* Effect.promise(() => client.isPrime("1e5").then(() => "resolved", (error: Error) => error.message))
        expect(rejected).toContain("is not an integer")
      } finally {
        yield* Effect.promise(() => client.close())
      }
    }).pipe(Effect.provide(serveCompute())), 60_000)
})
