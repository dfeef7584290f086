import { afterAll, beforeAll, describe, expect, it } from "@effect/vitest"
import * as fs from "node:fs"
import * as net from "node:net"
import * as path from "node:path"
import { fileURLToPath } from "node:url"
import { Effect, Either } from "effect"
import { isPrime } from "../../actors/prime/miller-rabin.js"
import { defaultConfig } from "../../src/config/load.js"
import { LAB02_NUMBERS, runPrimesClient } from "../../src/compute/primes-client.js"
import { servePrimes } from "../../src/compute/primes-server.js"
import { makeCompute } from "../../src/compute/service.js"
import { bundleWorkerEntry, waitUntil } from "./helpers.js"

let workerEntry: URL
beforeAll(async () => {
  workerEntry = await bundleWorkerEntry(new URL("../../src/compute/worker.ts", import.meta.url))
}, 60_000)
afterAll(() => fs.rmSync(path.dirname(fileURLToPath(workerEntry)), { recursive: true, force: true }))

const config = defaultConfig()
const expectedLine = (n: string) => `${n} is ${isPrime(BigInt(n)) ? "prime" : "not prime"}`

const clientRun = (port: number, numbers: ReadonlyArray<string>) =>
  Effect.gen(function* () {
    const printed: Array<string> = []
    const outcome = yield* Effect.either(
      runPrimesClient({ host: "127.0.0.1", port, numbers, answerTimeout: "5 seconds", maxLineBytes: 1024, print: (line) => printed.push(line) })
    )
    return { printed, outcome }
  })

/** A port with nothing listening: bind an ephemeral one, then close it. */
const freePort = Effect.async<number>((resume) => {
  const probe = net.createServer()
  probe.listen(0, "127.0.0.1", () => {
    const address = probe.address() as net.AddressInfo
    probe.close(() => resume(Effect.succeed(address.port)))
  })
})

describe("Lab02 TCP prime service", () => {
  it.scopedLive("serves two concurrent clients, each in order", () =>
    Effect.gen(function* () {
      const compute = yield* makeCompute({ config, entry: workerEntry })
      const server = yield* servePrimes({ port: 0, host: "127.0.0.1", compute, maxConnections: 8, maxPendingLines: 64 })
      const other = ["2", "10", "5555", "14567", "2305843009213693951", "abc"]
      const [first, second] = yield* Effect.all([clientRun(server.port, LAB02_NUMBERS), clientRun(server.port, other)], { concurrency: 2 })
      expect(Either.isRight(first.outcome)).toBe(true)
      expect(first.printed).toEqual(LAB02_NUMBERS.map(expectedLine))
      expect(Either.isRight(second.outcome)).toBe(true)
      expect(second.printed.slice(0, 5)).toEqual(other.slice(0, 5).map(expectedLine))
      expect(second.printed[5]).toMatch(/^ERROR: .*not an integer/)
    }), 60_000)

  it.live("a client whose server is down at the start fails with ServerUnavailable", () =>
    Effect.gen(function* () {
      const port = yield* freePort
      const { printed, outcome } = yield* clientRun(port, ["7"])
      expect(printed).toEqual([])
      expect(Either.isLeft(outcome) && outcome.left.message).toBe("server unavailable")
    }), 30_000)

  it.live("a client whose server goes away mid-way fails with ServerUnavailable", () =>
    Effect.gen(function* () {
      // A server that answers the first number and then drops the connection.
      const server = net.createServer((socket) => {
        socket.once("data", () => {
          socket.write("7 is prime\n")
          socket.once("data", () => socket.destroy())
        })
      })
      const port = yield* Effect.async<number>((resume) => {
        server.listen(0, "127.0.0.1", () => resume(Effect.succeed((server.address() as net.AddressInfo).port)))
      })
      const { printed, outcome } = yield* clientRun(port, ["7", "8", "9"]).pipe(Effect.ensuring(Effect.sync(() => server.close())))
      expect(printed).toEqual(["7 is prime"])
      expect(Either.isLeft(outcome) && outcome.left._tag).toBe("ServerUnavailable")
    }), 30_000)

  it.live("closing the server's scope closes connections and stops the workers", () =>
    Effect.gen(function* () {
      const { port, stats } = yield* Effect.scoped(
        Effect.gen(function* () {
          const compute = yield* makeCompute({ config, entry: workerEntry })
          const server = yield* servePrimes({ port: 0, host: "127.0.0.1", compute, maxConnections: 8, maxPendingLines: 64 })
          const { outcome } = yield* clientRun(server.port, ["97"])
          expect(Either.isRight(outcome)).toBe(true)
          yield* waitUntil(compute.stats, (current) => current.workersAlive === config.compute.workers)
          return { port: server.port, stats: compute.stats }
        })
      )
      const afterClose = yield* stats
      expect(afterClose.running).toBe(0)
      expect(afterClose.workersStarted).toBe(config.compute.workers)
      expect(afterClose.workersAlive).toBe(0)
      const { outcome } = yield* clientRun(port, ["5"])
      expect(Either.isLeft(outcome)).toBe(true)
    }), 30_000)
})
