import { afterAll, beforeAll, describe, expect, it } from "@effect/vitest"
import * as fs from "node:fs"
import * as path from "node:path"
import { fileURLToPath } from "node:url"
import { Chunk, Effect, Either, Fiber, Option, Stream } from "effect"
import { defaultConfig } from "../../src/config/load.js"
import { decodeComputeCall, encodeComputeCall } from "../../src/compute/call.js"
import { checkText, parseInteger } from "../../src/compute/input.js"
import { type ComputeBrokerShape, makeCompute } from "../../src/compute/service.js"
import { bundleWorkerEntry, waitUntil } from "./helpers.js"

let workerEntry: URL
beforeAll(async () => {
  workerEntry = await bundleWorkerEntry(new URL("./fixtures/test-worker.ts", import.meta.url))
}, 60_000)
afterAll(() => fs.rmSync(path.dirname(fileURLToPath(workerEntry)), { recursive: true, force: true }))

const config = defaultConfig()
const limits = { maxNumberDigits: 10, maxTextBytes: 8 }

describe("input validation", () => {
  it("parses integers within the digit limit", () => {
    expect(parseInteger(" +0042 ", limits)).toEqual(Either.right(42n))
    expect(parseInteger("-7", limits)).toEqual(Either.right(-7n))
    expect(parseInteger("00000000000001", limits)).toEqual(Either.right(1n)) // leading zeros are not digits
    for (const bad of ["", "1.5", "1e5", "0x10", "12a", "--1"]) {
      const parsed = parseInteger(bad, limits)
      expect(Either.isLeft(parsed) && parsed.left.reason, bad).toBe("BadInput")
    }
    const long = parseInteger("12345678901", limits)
    expect(Either.isLeft(long) && long.left.message).toContain("too long: 11 digits")
    expect(Either.isLeft(parseInteger("9".repeat(1_000_000), limits))).toBe(true)
  })

  it("measures text in UTF-8 bytes", () => {
    expect(checkText("12345678", limits)).toEqual(Either.right("12345678"))
    expect(Either.isLeft(checkText("123456789", limits))).toBe(true)
    expect(Either.isLeft(checkText("😀😀😀", limits))).toBe(true) // 6 UTF-16 units, 12 bytes
    expect(checkText("😀😀", limits)).toEqual(Either.right("😀😀"))
  })

  it("a forwarded call survives encoding", () => {
    const text = encodeComputeCall({ _tag: "gcd", a: 2n ** 100n, b: -3n })
    expect(decodeComputeCall(text)).toEqual(Either.right({ _tag: "gcd", a: 2n ** 100n, b: -3n }))
    expect(Either.isLeft(decodeComputeCall("{\"_tag\":\"gcd\"}"))).toBe(true)
  })
})

describe("Compute service", () => {
  it.scopedLive("streams answers in order and stops at bad input", () =>
    Effect.gen(function* () {
      const compute = yield* makeCompute({ config, entry: workerEntry })
      const answers = yield* Stream.runCollect(compute.isPrimeStream(Stream.make("2", "10", "5555", "14567")))
      expect(Chunk.toReadonlyArray(answers).map((answer) => answer.prime)).toEqual([true, false, false, false])
      const partial = yield* Effect.either(Stream.runCollect(compute.isPrimeStream(Stream.make("3", "x"))))
      expect(Either.isLeft(partial) && partial.left.reason).toBe("BadInput")
    }), 60_000)

  it.scopedLive("offers calls to the broker only while the local pool is saturated", () =>
    Effect.gen(function* () {
      const offloaded: Array<string> = []
      const broker: ComputeBrokerShape = {
        offload: (op, input) =>
          Effect.sync(() => {
            offloaded.push(op)
            // The peer's answer: deliberately marked so the test can tell where it came from.
            return op === "gcd" ? Option.some({ ...(input as { a: bigint; b: bigint }), gcd: -1n } as never) : Option.none()
          })
      }
      const small = { ...config, compute: { ...config.compute, workers: 1 } }
      const compute = yield* makeCompute({ config: small, entry: workerEntry, broker })
      yield* waitUntil(compute.stats, (stats) => stats.workersAlive === 1)
      expect((yield* compute.gcd({ a: "12", b: "18" })).gcd).toBe(6n)
      expect(offloaded).toEqual([])
      // Occupy the only worker with a 2 s call of the fixture worker's `slowEcho`, then call again.
      const slow = yield* Effect.fork(compute.runLocal("slowEcho" as never, { ms: 2000, value: 1 } as never))
      yield* waitUntil(compute.saturated, (saturated) => saturated)
      expect((yield* compute.gcd({ a: "12", b: "18" })).gcd).toBe(-1n)
      // The broker had no taker for isprime: it runs locally after the slow call.
      const local = yield* Effect.fork(compute.isPrime({ n: "7" }))
      yield* Fiber.join(slow)
      expect((yield* Fiber.join(local)).prime).toBe(true)
      expect(offloaded).toEqual(["gcd", "isprime"])
    }), 60_000)
})
