import * as fs from "node:fs"
import * as path from "node:path"
import { describe, expect, it } from "@effect/vitest"
import { tempDirMaker } from "../support/temp-dir.js"
import { Effect, Exit } from "effect"
import { folderSink, writeBufferBytes } from "../../src/transfer/folder-sink.js"

const tempDir = tempDirMaker("troupe-sink-")

describe("folderSink", () => {
  it.effect("writes through a temporary file and renames only on a complete commit", () =>
    Effect.gen(function* () {
      const dir = tempDir()
      const content = Buffer.from(Array.from({ length: writeBufferBytes * 2 + 777 }, (_, index) => (index * 7) & 255))
      const file = yield* folderSink(dir).open("out.bin", content.length)
      for (let offset = 0; offset < content.length; offset += 1000) yield* file.write(offset, content.subarray(offset, offset + 1000))
      expect(fs.existsSync(path.join(dir, "out.bin"))).toBe(false)
      expect(fs.readdirSync(dir)).toHaveLength(1)
      expect(yield* file.commit).toBe(path.join(dir, "out.bin"))
      expect(fs.readFileSync(path.join(dir, "out.bin")).equals(content)).toBe(true)
      expect(fs.readdirSync(dir)).toEqual(["out.bin"])
    }))

  it.effect("takes contiguous writes at once while a buffer is free, and refuses the rest to `write`", () =>
    Effect.gen(function* () {
      const dir = tempDir()
      const content = Buffer.from(Array.from({ length: writeBufferBytes * 3 + 5 }, (_, index) => (index * 13) & 255))
      const file = yield* folderSink(dir).open("fast.bin", content.length)
      expect(file.writeNow?.(10, content.subarray(10, 20))).toBe(false)
      let taken = 0
      for (let offset = 0; offset < content.length; offset += 1000) {
        const bytes = content.subarray(offset, offset + 1000)
        if (file.writeNow?.(offset, bytes) === true) taken++
        else yield* file.write(offset, bytes)
      }
      // Everything fits in memory except where the second buffer was still on its way to disk.
      expect(taken).toBeGreaterThan(content.length / 1000 - 5)
      expect(file.writeNow?.(content.length - 2, Buffer.from("xyz"))).toBe(false)
      yield* file.commit
      expect(fs.readFileSync(path.join(dir, "fast.bin")).equals(content)).toBe(true)
    }))

  it.effect("handles a zero-byte file and writes larger than the buffer", () =>
    Effect.gen(function* () {
      const dir = tempDir()
      yield* Effect.flatMap(folderSink(dir).open("empty", 0), (file) => file.commit)
      expect(fs.statSync(path.join(dir, "empty")).size).toBe(0)
      const big = Buffer.alloc(writeBufferBytes + 10, 9)
      const file = yield* folderSink(dir).open("big", big.length + 1)
      yield* file.write(0, Buffer.from([1]))
      yield* file.write(1, big)
      yield* file.commit
      expect(fs.readFileSync(path.join(dir, "big")).equals(Buffer.concat([Buffer.from([1]), big]))).toBe(true)
    }))

  it.effect("refuses a short commit and writes past the announced size; abort leaves nothing", () =>
    Effect.gen(function* () {
      const dir = tempDir()
      const file = yield* folderSink(dir).open("short", 10)
      yield* file.write(0, Buffer.from("12345"))
      expect(Exit.isFailure(yield* Effect.exit(file.write(5, Buffer.from("123456"))))).toBe(true)
      const commit = yield* Effect.exit(file.commit)
      expect(Exit.isFailure(commit)).toBe(true)
      yield* file.abort
      expect(fs.readdirSync(dir)).toEqual([])
    }))
})
