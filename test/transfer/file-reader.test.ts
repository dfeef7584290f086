/**
 * The sender's file reader: byte-exact views across blocks, the next block loaded in the
 * background so sequential reading meets the disk only once, and going back (a retransmission)
 * still reads the right bytes.
 */
import * as fs from "node:fs"
import * as path from "node:path"
import { describe, expect, it } from "@effect/vitest"
import { Effect } from "effect"
import { openChunkReader } from "../../src/transfer/file-reader.js"
import { tempDirMaker } from "../support/temp-dir.js"

const tempDir = tempDirMaker("troupe-reader-")
const blockBytes = 64 * 1024
const content = Buffer.from(Array.from({ length: blockBytes * 5 + 12_345 }, (_, index) => (index * 31 + (index >> 8)) & 255))
const inputFile = () => {
  const file = path.join(tempDir(), "input.bin")
  fs.writeFileSync(file, content)
  return file
}
/** Lets background file reads complete (real I/O; generous, for a busy machine). */
const letIoRun = Effect.promise(() => new Promise<void>((resolve) => setTimeout(resolve, 20)))

describe("chunk reader", () => {
  it.scoped("reads sequentially with one disk wait in total: the next block is loaded ahead", () =>
    Effect.gen(function* () {
      const reader = yield* openChunkReader(inputFile(), blockBytes)
      expect(reader.sizeBytes).toBe(content.length)
      let waits = 0
      const chunk = 1000
      for (let offset = 0; offset < content.length; offset += chunk) {
        const length = Math.min(chunk, content.length - offset)
        let bytes = reader.readCached(offset, length)
        if (bytes === undefined) {
          waits++
          bytes = yield* reader.read(offset, length)
        }
        expect(Buffer.from(bytes).equals(content.subarray(offset, offset + length)), `offset ${offset}`).toBe(true)
        // A sender yields to the event loop now and then (between acks); the load runs meanwhile.
        if ((offset / chunk) % 16 === 0) yield* letIoRun
      }
      expect(waits).toBe(1)
    }))

  it.scoped("loads nothing ahead once the newest block reaches the end: the block before stays for retransmissions", () =>
    Effect.gen(function* () {
      const file = path.join(tempDir(), "tail.bin")
      const tail = content.subarray(0, blockBytes * 2 + 20_000)
      fs.writeFileSync(file, tail)
      const reader = yield* openChunkReader(file, blockBytes)
      const chunk = 1000
      for (let offset = 0; offset < tail.length; offset += chunk) {
        const length = Math.min(chunk, tail.length - offset)
        if (reader.readCached(offset, length) === undefined) yield* reader.read(offset, length)
        if ((offset / chunk) % 8 === 0) yield* letIoRun
      }
      // Blocks start on the chunk grid: the final one at 2 * 65 chunks; a go-back-N resend
      // reads the chunk just before it.
      const finalStart = 2 * Math.floor(blockBytes / chunk) * chunk
      const before = finalStart - chunk
      expect(Buffer.from(reader.readCached(before, chunk) ?? []).equals(tail.subarray(before, before + chunk))).toBe(true)
    }))

  it.scoped("reads back from earlier blocks correctly (retransmissions)", () =>
    Effect.gen(function* () {
      const reader = yield* openChunkReader(inputFile(), blockBytes)
      for (const offset of [0, blockBytes * 3 + 7, blockBytes - 500, blockBytes * 5, 10, blockBytes * 2 - 1, blockBytes * 4 + 100]) {
        const length = Math.min(1000, content.length - offset)
        const bytes = reader.readCached(offset, length) ?? (yield* reader.read(offset, length))
        expect(Buffer.from(bytes).equals(content.subarray(offset, offset + length)), `offset ${offset}`).toBe(true)
        yield* letIoRun
      }
      expect(Effect.runSync(Effect.either(reader.read(0, blockBytes + 1)))._tag).toBe("Left")
    }))
})
