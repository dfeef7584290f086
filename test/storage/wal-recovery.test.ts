import { describe, expect, it } from "@effect/vitest"
import * as fc from "fast-check"
import { Effect, Either, Fiber, Logger, Option, Random, TestClock } from "effect"
import type { Entry } from "../../src/raft/messages.js"
import { MemoryDisk } from "../../src/storage/memory-storage.js"
import { SNAPSHOT_FILE } from "../../src/storage/wal.js"
import { decodeSnapshotFile, encodeSnapshot, entriesPayloads, framePayloads, scanFrames, SnapshotFileEncoder } from "../../src/storage/wal-record.js"
import { copyDisk, entries, openStore, restart } from "./wal-helpers.js"

const SEGMENT = "wal-00000001.log"

/** Runs `effect` with a logger that records the warnings it emits. */
const withWarnings = <A, E>(effect: Effect.Effect<A, E>) =>
  Effect.gen(function* () {
    const warnings: Array<string> = []
    const logger = Logger.make(({ logLevel, message }) => {
      if (logLevel._tag === "Warning") warnings.push(JSON.stringify(message))
    })
    const result = yield* Effect.provide(effect, Logger.replace(Logger.defaultLogger, logger))
    return { result, warnings }
  })

const segmentLength = (disk: MemoryDisk, name = SEGMENT) => Option.getOrThrow(disk.durableContent(name)).byteLength

/** Where a segment's records end: the rest of the file is preallocated zeros. */
const recordsEnd = (disk: MemoryDisk, name = SEGMENT) => scanFrames(Option.getOrThrow(disk.durableContent(name)), 1 << 20).validBytes

const batchArbitrary = fc.array(fc.string({ maxLength: 40 }), { minLength: 1, maxLength: 6 })

/** Writes the batches in one session (one segment); returns the entries and each batch's end offset. */
const writeBatches = (disk: MemoryDisk, batches: ReadonlyArray<ReadonlyArray<string>>) =>
  Effect.gen(function* () {
    const { store } = yield* openStore(disk)
    const written: Array<Entry> = []
    const ends: Array<number> = []
    for (const batch of batches) {
      const next = batch.map((data, offset) => ({ term: 1, index: written.length + offset + 1, kind: "command" as const, data }))
      yield* store.persist({ entries: next })
      written.push(...next)
      ends.push(recordsEnd(disk))
    }
    return { written, ends }
  })

describe("RaftStore recovery", () => {
  it.effect("a torn last record, cut at every byte offset, recovers exactly the records before it", () =>
    Effect.promise(() =>
      fc.assert(
        fc.asyncProperty(fc.array(batchArbitrary, { minLength: 0, maxLength: 4 }), batchArbitrary, (earlier, last) =>
          Effect.runPromise(Effect.gen(function* () {
            const disk = MemoryDisk.make()
            const { ends, written } = yield* writeBatches(disk, [...earlier, last])
            const start = earlier.length === 0 ? firstRecordOffset(disk) : ends.at(-2)!
            const before = written.slice(0, written.length - last.length)
            for (let cut = start; cut < ends.at(-1)!; cut++) {
              const torn = yield* copyDisk(disk, [SEGMENT], (_, bytes) => bytes.slice(0, cut))
              const { result: { loaded, store }, warnings } = yield* withWarnings(openStore(torn))
              expect(loaded.entries).toEqual(before)
              expect(warnings.length).toBe(cut === start ? 0 : 1)
              expect(segmentLength(torn)).toBe(start)
              // The repaired log takes new writes after the good records (checked on a sample of cuts: it is the slow part).
              if ((cut - start) % 7 === 1) {
                yield* store.persist({ entries: written.slice(before.length) })
                expect((yield* restart(torn)).loaded.entries).toEqual(written)
              }
            }
          }))
        ),
        { numRuns: 10 }
      )
    ), 60_000)

  it.effect("a write torn by a crash (seeded) loses at most the record in flight", () =>
    Effect.gen(function* () {
      for (let seed = 0; seed < 20; seed++) {
        const disk = MemoryDisk.make({ syncDelay: "1 millis" })
        const writing = yield* Effect.fork(writeBatches(disk, [["a", "b"], ["c"]]))
        yield* TestClock.adjust("10 millis")
        const { ends, written } = yield* Fiber.join(writing)
        const unsynced = entries(4, 6)
        // The bytes persist would write for the next batch, still in flight when the power goes.
        const payloads = Either.getOrThrow(entriesPayloads(unsynced, 1 << 20)).map(({ payload }) => payload)
        const frame = framePayloads(payloads)
        const inFlight = yield* Effect.fork(disk.storage().writeAtAndSync(SEGMENT, ends.at(-1)!, frame))
        yield* Effect.yieldNow()
        const [report] = yield* disk.crash({ _tag: "TornWrite", random: Random.make(seed) })
        yield* TestClock.adjust("1 millis")
        yield* Fiber.await(inFlight)
        const { result, warnings } = yield* withWarnings(openStore(disk))
        expect(report!.keptBytes).toBeLessThan(frame.byteLength)
        expect(result.loaded.entries).toEqual(written)
        expect(warnings.length).toBe(report!.keptBytes === 0 ? 0 : 1)
      }
    }))

  it.effect("a corrupt checksum in the middle stops replay there and cuts the rest", () =>
    Effect.gen(function* () {
      const disk = MemoryDisk.make()
      const { ends, written } = yield* writeBatches(disk, [["a", "b"], ["c", "d"], ["e"], ["f"]])
      const damaged = yield* copyDisk(disk, [SEGMENT], (_, bytes) => {
        // Flip "c" to "C" in an entry's data: still valid JSON and a valid record, so only the checksum can tell.
        const copy = bytes.slice()
        const at = Buffer.from(copy).indexOf(`"data":"c"`) + `"data":"`.length
        expect(at).toBeGreaterThan(ends[0]!)
        copy[at]! ^= 0x20
        return copy
      })
      const { result, warnings } = yield* withWarnings(openStore(damaged))
      expect(result.loaded.entries).toEqual(written.slice(0, 2))
      expect(warnings).toHaveLength(1)
      expect(warnings[0]).toContain("corrupt")
      expect(segmentLength(damaged)).toBe(ends[0])
    }))

  it.effect("corruption in an early segment drops the later segments", () =>
    Effect.gen(function* () {
      const disk = MemoryDisk.make()
      const segmentBytes = 700
      const { store } = yield* openStore(disk, segmentBytes)
      for (let first = 1; first <= 60; first += 3) yield* store.persist({ entries: entries(first, first + 2) })
      const names = yield* disk.storage().list("wal-")
      expect(names.length).toBeGreaterThanOrEqual(4)
      const victim = names[1]!
      const damaged = yield* copyDisk(disk, names, (name, bytes) => {
        if (name !== victim) return bytes
        const copy = bytes.slice()
        copy[copy.length - 3]! ^= 0xff
        return copy
      })
      const { loaded } = yield* openStore(damaged, segmentBytes)
      expect(yield* damaged.storage().list("wal-")).toEqual(names.slice(0, 2))
      const lastIndex = loaded.entries.at(-1)!.index
      expect(loaded.entries).toEqual(entries(1, lastIndex))
      expect(lastIndex).toBeLessThan(60)
      expect(lastIndex).toBeGreaterThan(3)
    }))

  it.effect("the preallocated zeros after the last record end the log without a repair", () =>
    Effect.gen(function* () {
      const disk = MemoryDisk.make()
      const { ends, written } = yield* writeBatches(disk, [["a"], ["b"]])
      expect(segmentLength(disk)).toBeGreaterThan(ends.at(-1)!)
      const { result, warnings } = yield* withWarnings(restart(disk))
      expect(result.loaded.entries).toEqual(written)
      expect(warnings).toHaveLength(0)
      expect(segmentLength(disk)).toBeGreaterThan(ends.at(-1)!)
    }))

  it.effect("bytes after a zero length are a torn write: cut away with a warning", () =>
    Effect.gen(function* () {
      const disk = MemoryDisk.make()
      const { ends, written } = yield* writeBatches(disk, [["a"], ["b"]])
      // The second half of a record landed, its header did not.
      yield* disk.storage().writeAtAndSync(SEGMENT, ends.at(-1)! + 20, new Uint8Array([7, 7, 7]))
      const { result, warnings } = yield* withWarnings(restart(disk))
      expect(result.loaded.entries).toEqual(written)
      expect(warnings).toHaveLength(1)
      expect(segmentLength(disk)).toBe(ends.at(-1))
    }))

  it.effect("a damaged snapshot file is an error, not a silent loss", () =>
    Effect.gen(function* () {
      const disk = MemoryDisk.make()
      const { store } = yield* openStore(disk)
      yield* store.persist({ entries: entries(1, 5) })
      yield* store.persist({ snapshot: { index: 5, term: 1, data: "state" }, entries: [] })
      const snapshot = Option.getOrThrow(disk.durableContent(SNAPSHOT_FILE)).slice()
      snapshot[snapshot.length - 2]! ^= 1
      yield* disk.storage().writeAtomic(SNAPSHOT_FILE, snapshot)
      const result = yield* Effect.either(restart(disk))
      expect(Either.isLeft(result) && result.left._tag).toBe("WalError")
    }))

  it("a snapshot file keeps its data as it is (newlines, quotes, any Unicode), in whatever pieces it is encoded, and refuses a bad header", () => {
    fc.assert(fc.property(fc.nat(), fc.nat(), fc.fullUnicodeString(), fc.array(fc.nat()), (index, term, data, cuts) => {
      const encoded = Buffer.concat(encodeSnapshot({ index, term, data }))
      expect(decodeSnapshotFile(encoded)).toEqual(Either.right({ index, term, data }))
      // The same data added in pieces (cut between characters) makes the same file.
      const characters = Array.from(data)
      const at = [...new Set(cuts.map((cut) => cut % (characters.length + 1)))].sort((a, b) => a - b)
      const file = new SnapshotFileEncoder(index, term)
      for (const [i, from] of [0, ...at].entries()) file.add(characters.slice(from, i < at.length ? at[i] : characters.length).join(""))
      expect(Buffer.concat(file.finish())).toEqual(encoded)
    }))
    // Pieces that cross the encoder's 1 MiB buffers, one of them larger than a buffer.
    const pieces = ["é".repeat(300_000), "x".repeat(500_000), "😀".repeat(400_000), "end"]
    const big = new SnapshotFileEncoder(7, 2)
    for (const piece of pieces) big.add(piece)
    const bigFile = Buffer.concat(big.finish())
    expect(bigFile.equals(Buffer.concat(encodeSnapshot({ index: 7, term: 2, data: pieces.join("") })))).toBe(true)
    const decoded = decodeSnapshotFile(bigFile)
    expect(Either.isRight(decoded) && decoded.right.data === pieces.join("")).toBe(true)
    // The data goes in as it is, not escaped inside the header.
    const jsonData = JSON.stringify({ data: [["k", "v\n"]] })
    expect(Buffer.concat(encodeSnapshot({ index: 1, term: 1, data: jsonData })).byteLength).toBe(8 + `{"format":2,"index":1,"term":1}\n`.length + jsonData.length)
    const badHeaders = ['{"format":3,"index":1,"term":1}', '{"format":2,"index":-1,"term":1}', '{"format":2,"term":1}', "[2]"]
    for (const header of badHeaders) expect(Either.isLeft(decodeSnapshotFile(framePayloads([`${header}\ndata`])))).toBe(true)
  })

  it("a frame whose checksum holds but whose payload trips Schema's parser ends the trusted log instead of throwing", () => {
    // Effect 3.22's parser throws on a union tag like this one (see src/wire/total-decode.ts).
    const good = JSON.stringify({ type: "truncate", from: 1 })
    const scan = scanFrames(framePayloads([good, '{"type":{"toString":0}}']), 1 << 20)
    expect(scan.records).toHaveLength(1)
    expect(scan.validBytes).toBe(8 + good.length)
    expect(scan.problem).toBe(`payload is not a WAL record at byte ${8 + good.length}`)
  })

  it.effect("a snapshot file of the first format (the data escaped inside the JSON) still loads", () =>
    Effect.gen(function* () {
      const disk = MemoryDisk.make()
      const { store } = yield* openStore(disk)
      yield* store.persist({ entries: entries(1, 5) })
      const data = JSON.stringify({ data: [["a", "1"]], sessions: [] })
      yield* disk.storage().writeAtomic(SNAPSHOT_FILE, framePayloads([JSON.stringify({ index: 3, term: 1, data })]))
      const { loaded } = yield* restart(disk)
      expect(loaded.snapshot).toEqual(Option.some({ index: 3, term: 1, data }))
      expect(loaded.entries).toEqual(entries(4, 5))
    }))
})

/** Where the first batch's record starts: after the segment's opening hard state record. */
const firstRecordOffset = (disk: MemoryDisk): number => {
  const bytes = Option.getOrThrow(disk.durableContent(SEGMENT))
  return 8 + new DataView(bytes.buffer, bytes.byteOffset).getUint32(0, true)
}
