/**
 * End to end on real loopback UDP, through a seeded lossy relay (drop 10%, duplicate 5%,
 * reorder 10%): every file arrives byte-exact in both modes. The retry interval is shortened
 * and the tries raised for these runs only: with ~19% of round trips failing, 5 tries would give
 * up on some message of a long file by design, and 0.5 s per loss would make the test slow.
 */
import * as crypto from "node:crypto"
import * as fs from "node:fs"
import * as path from "node:path"
import { describe, expect, it } from "@effect/vitest"
import { tempDirMaker } from "../support/temp-dir.js"
import { Duration, Effect } from "effect"
import { defaultConfig } from "../../src/config/load.js"
import { DatagramLive } from "../../src/net/datagram.js"
import { folderSink } from "../../src/transfer/folder-sink.js"
import { makeReceiver } from "../../src/transfer/receiver.js"
import { sendFile } from "../../src/transfer/sender.js"
import { startLossyRelay } from "./helpers/lossy-relay.js"

const base = defaultConfig()
const config = { ...base, transfer: { ...base.transfer, retryEvery: Duration.millis(40), triesPerMessage: 25, windowSize: 16 } }
const sizes = [0, 1, 1016, 1017, 150_000]

const tempDir = tempDirMaker("troupe-loopback-")
const setup = Effect.gen(function* () {
  const root = tempDir()
  const outDir = path.join(root, "out")
  fs.mkdirSync(outDir)
  const receiver = yield* makeReceiver({ host: "127.0.0.1", port: 0, sink: folderSink(outDir), config })
  return { root, outDir, receiver }
})

const writeInput = (root: string, name: string, size: number) => {
  const file = path.join(root, name)
  fs.writeFileSync(file, crypto.randomBytes(size))
  return file
}

describe("transfer over real loopback UDP through a lossy relay", () => {
  for (const windowed of [false, true]) {
    it.live(`delivers files byte-exact (${windowed ? "windowed" : "stop-and-wait"})`, () =>
      Effect.gen(function* () {
        const { root, outDir, receiver } = yield* setup
        for (const [index, size] of sizes.entries()) {
          const relay = yield* startLossyRelay({ target: { host: "127.0.0.1", port: receiver.port }, seed: 1000 + index, dropRate: 0.1, duplicateRate: 0.05, reorderRate: 0.1 })
          const input = writeInput(root, `in-${size}`, size)
          const result = yield* sendFile({ host: "127.0.0.1", port: relay.port, localPath: input, remoteName: `out-${size}.bin`, config, windowed })
          expect(fs.readFileSync(path.join(outDir, `out-${size}.bin`)).equals(fs.readFileSync(input)), `size ${size} seed ${1000 + index}`).toBe(true)
          expect(result.totalBytes).toBe(size)
          if (size > 100_000) expect(relay.stats.dropped).toBeGreaterThan(0)
        }
        expect(fs.readdirSync(outDir).filter((name) => name.startsWith(".troupe-partial"))).toEqual([])
      }).pipe(Effect.scoped, Effect.provide(DatagramLive)), 60_000)
  }

  it.live("serves concurrent senders independently", () =>
    Effect.gen(function* () {
      const { root, outDir, receiver } = yield* setup
      const inputs = [0, 1, 2, 3].map((index) => writeInput(root, `c-${index}`, 40_000 + index))
      yield* Effect.forEach(
        inputs,
        (input, index) => sendFile({ host: "127.0.0.1", port: receiver.port, localPath: input, remoteName: `c-${index}.bin`, config, windowed: index % 2 === 0 }),
        { concurrency: "unbounded" }
      )
      for (const [index, input] of inputs.entries()) expect(fs.readFileSync(path.join(outDir, `c-${index}.bin`)).equals(fs.readFileSync(input))).toBe(true)
      expect(yield* receiver.stats).toMatchObject({ completed: 4, aborted: 0 })
    }).pipe(Effect.scoped, Effect.provide(DatagramLive)), 30_000)
})
