import * as fs from "node:fs"
import * as os from "node:os"
import * as path from "node:path"
import { describe, expect, it } from "@effect/vitest"
import * as fc from "fast-check"
import { Effect, Either, Layer, Option } from "effect"
import { defaultConfig } from "../../src/config/load.js"
import { fileStorageLayer } from "../../src/storage/file-storage.js"
import { MemoryDisk } from "../../src/storage/memory-storage.js"
import { makeRaftStore, preallocationTarget, RaftStore, SNAPSHOT_FILE } from "../../src/storage/wal.js"
import { encodeSnapshot } from "../../src/storage/wal-record.js"
import { entries, entry, openStore, restart } from "./wal-helpers.js"

describe("RaftStore", () => {
  it.effect("starts empty", () =>
    Effect.gen(function* () {
      const { loaded } = yield* openStore(MemoryDisk.make())
      expect(loaded).toEqual({ hardState: { term: 0, vote: null }, snapshot: Option.none(), entries: [] })
    }))

  it.effect("round-trips many batches across restarts, one fsync per batch", () =>
    Effect.gen(function* () {
      const disk = MemoryDisk.make()
      const { store } = yield* openStore(disk)
      let next = 1
      for (let batch = 0; batch < 50; batch++) {
        const size = 1 + ((batch * 7) % 13)
        yield* store.persist({ entries: entries(next, next + size - 1, 1 + Math.floor(batch / 10)) })
        next += size
      }
      const stats = yield* store.stats
      expect(stats.fsyncs).toBe(50)
      expect(stats.persists).toBe(50)
      const { loaded } = yield* restart(disk)
      expect(loaded.entries.map((e) => e.index)).toEqual(entries(1, next - 1).map((e) => e.index))
      expect(loaded.entries[next - 2]).toEqual(entry(next - 1, 5))
    }))

  it("preallocates a new segment 64 KiB first, doubling up to 1 MiB steps, within the segment size", () => {
    const KiB = 1 << 10
    const segmentBytes = 4 << 20
    const lengths: Array<number> = []
    for (let allocated = 0; allocated < segmentBytes; allocated = preallocationTarget(allocated, allocated + 1, segmentBytes)) {
      lengths.push(preallocationTarget(allocated, allocated + 1, segmentBytes) / KiB)
    }
    expect(lengths).toEqual([64, 128, 256, 512, 1024, 2048, 3072, 4096])
    // A write larger than the step gets what it needs, even past the segment size (one huge record).
    expect(preallocationTarget(64 * KiB, 300 * KiB, segmentBytes)).toBe(300 * KiB)
    expect(preallocationTarget(0, 5 << 20, segmentBytes)).toBe(5 << 20)
  })

  it.effect("a segment opened by a restart takes 64 KiB on disk, not a whole step", () =>
    Effect.gen(function* () {
      const disk = MemoryDisk.make()
      const { store } = yield* openStore(disk)
      yield* store.persist({ entries: entries(1, 3) })
      const { store: again } = yield* openStore(disk)
      yield* again.persist({ entries: entries(4, 4) })
      const names = yield* disk.storage().list("wal-")
      expect(names.length).toBe(2)
      const sizes = names.map((name) => Option.getOrThrow(disk.durableContent(name)).byteLength)
      for (const size of sizes) expect(size).toBeLessThanOrEqual(64 << 10)
    }))

  it.effect("one batch of hard state, truncation and 500 entries costs exactly one fsync", () =>
    Effect.gen(function* () {
      const disk = MemoryDisk.make()
      const { store } = yield* openStore(disk)
      yield* store.persist({ entries: entries(1, 10) })
      const before = (yield* store.stats).fsyncs
      yield* store.persist({ hardState: { term: 2, vote: "n1" }, truncateFrom: 5, entries: entries(5, 504, 2) })
      expect((yield* store.stats).fsyncs - before).toBe(1)
      // The third: the segment's first preallocation (64 KiB, doubling up to 1 MiB steps).
      expect(disk.stats.syncs).toBe(3)
    }))

  it.effect("truncateFrom and overlapping entries replace the log's suffix", () =>
    Effect.gen(function* () {
      const disk = MemoryDisk.make()
      const { store } = yield* openStore(disk)
      yield* store.persist({ entries: entries(1, 10) })
      yield* store.persist({ truncateFrom: 6, entries: [] })
      expect((yield* restart(disk)).loaded.entries).toEqual(entries(1, 5))
      const { store: again } = yield* openStore(disk)
      yield* again.persist({ truncateFrom: 4, entries: entries(4, 7, 2) })
      // Entries that start inside the log overwrite from there, like a follower's conflicting suffix.
      yield* again.persist({ entries: entries(6, 6, 3) })
      const { loaded } = yield* restart(disk)
      expect(loaded.entries).toEqual([...entries(1, 3), ...entries(4, 5, 2), entry(6, 3)])
    }))

  it.effect("hard state survives restarts and segment rolls", () =>
    Effect.gen(function* () {
      const disk = MemoryDisk.make()
      const { store } = yield* openStore(disk, 400)
      yield* store.persist({ hardState: { term: 1, vote: null }, entries: [] })
      yield* store.persist({ hardState: { term: 3, vote: "10.0.0.2:8080" }, entries: entries(1, 40, 3) })
      yield* store.persist({ entries: entries(41, 80, 3) })
      const { loaded } = yield* restart(disk, 400)
      expect(loaded.hardState).toEqual({ term: 3, vote: "10.0.0.2:8080" })
      expect(loaded.entries).toEqual(entries(1, 80, 3))
    }))

  it.effect("rolls segments at walSegmentBytes and compacts them under a snapshot", () =>
    Effect.gen(function* () {
      const disk = MemoryDisk.make()
      const segmentBytes = 512
      const { store } = yield* openStore(disk, segmentBytes)
      yield* store.persist({ hardState: { term: 2, vote: "a" }, entries: [] })
      for (let first = 1; first <= 100; first += 5) yield* store.persist({ entries: entries(first, first + 4, 2) })
      const segments = yield* disk.storage().list("wal-")
      expect(segments.length).toBeGreaterThan(5)
      for (const name of segments) {
        expect(Option.getOrThrow(disk.durableContent(name)).byteLength).toBeLessThanOrEqual(segmentBytes + 64)
      }
      yield* store.persist({ snapshot: { index: 80, term: 2, data: "state@80" }, entries: entries(101, 101, 2) })
      const after = yield* disk.storage().list("wal-")
      expect(after.length).toBeLessThan(segments.length)
      expect((yield* store.stats).segmentsDeleted).toBe(segments.filter((name) => !after.includes(name)).length)
      const { loaded } = yield* restart(disk, segmentBytes)
      expect(loaded.snapshot).toEqual(Option.some({ index: 80, term: 2, data: "state@80" }))
      expect(loaded.entries).toEqual(entries(81, 101, 2))
      expect(loaded.hardState).toEqual({ term: 2, vote: "a" })
    }))

  it.effect("a snapshot saved ahead is written once: its compaction skips the file, and a crash between the two loses nothing", () =>
    Effect.gen(function* () {
      const disk = MemoryDisk.make()
      const unloaded = yield* makeRaftStore(disk.storage(), { walSegmentBytes: 4096 })
      expect(Either.isLeft(yield* Effect.either(unloaded.saveSnapshot({ index: 1, term: 1, data: "x" })))).toBe(true)
      const { store } = yield* openStore(disk)
      yield* store.persist({ entries: entries(1, 30, 1) })
      yield* store.saveSnapshot({ index: 20, term: 1, data: "state@20" })
      // The log goes on while the file is written; a crash now keeps the snapshot and every entry after it.
      yield* store.persist({ entries: entries(31, 32, 1) })
      const crashed = yield* restart(disk)
      expect(crashed.loaded.snapshot).toEqual(Option.some({ index: 20, term: 1, data: "state@20" }))
      expect(crashed.loaded.entries).toEqual(entries(21, 32, 1))
      const written = (yield* crashed.store.stats).snapshotsWritten
      yield* crashed.store.saveSnapshot({ index: 25, term: 1, data: "state@25" })
      // An older one never replaces it; the compaction with the same one does not write it again.
      yield* crashed.store.saveSnapshot({ index: 22, term: 1, data: "state@22" })
      yield* crashed.store.persist({ snapshot: { index: 25, term: 1, data: "state@25" }, entries: [] })
      expect((yield* crashed.store.stats).snapshotsWritten).toBe(written + 1)
      const { loaded } = yield* restart(disk)
      expect(loaded.snapshot).toEqual(Option.some({ index: 25, term: 1, data: "state@25" }))
      expect(loaded.entries).toEqual(entries(26, 32, 1))
    }))

  it.effect("a snapshot that conflicts with the log clears it (Raft section 7)", () =>
    Effect.gen(function* () {
      const disk = MemoryDisk.make()
      const { store } = yield* openStore(disk)
      yield* store.persist({ entries: entries(1, 30, 1) })
      yield* store.persist({ snapshot: { index: 20, term: 2, data: "leader state" }, entries: [] })
      expect(Either.isLeft(yield* Effect.either(store.persist({ entries: entries(31, 31, 1) })))).toBe(true)
      yield* store.persist({ entries: entries(21, 22, 2) })
      const { loaded } = yield* restart(disk)
      expect(loaded.snapshot).toEqual(Option.some({ index: 20, term: 2, data: "leader state" }))
      expect(loaded.entries).toEqual(entries(21, 22, 2))
    }))

  it.effect("a crash after the snapshot file but before its batch leaves a consistent log", () =>
    Effect.gen(function* () {
      const disk = MemoryDisk.make()
      const { store } = yield* openStore(disk)
      yield* store.persist({ entries: entries(1, 30, 1) })
      // What persist would have done first, had the node died right after it.
      yield* disk.storage().writeAtomic(SNAPSHOT_FILE, encodeSnapshot({ index: 20, term: 2, data: "s" }))
      const first = yield* restart(disk)
      expect(first.loaded.entries).toEqual([])
      yield* first.store.persist({ entries: entries(21, 25, 2) })
      const { loaded } = yield* restart(disk)
      expect(loaded.entries).toEqual(entries(21, 25, 2))
    }))

  it.effect("refuses bad batches without writing anything", () =>
    Effect.gen(function* () {
      const disk = MemoryDisk.make()
      const unloaded = yield* makeRaftStore(disk.storage(), { walSegmentBytes: 4096 })
      const refused = (effect: Effect.Effect<void, unknown>) => Effect.map(Effect.either(effect), Either.isLeft)
      expect(yield* refused(unloaded.persist({ entries: entries(1, 1) }))).toBe(true)
      const { store } = yield* openStore(disk, 4096)
      yield* store.persist({ entries: entries(1, 5) })
      yield* store.persist({ snapshot: { index: 3, term: 1, data: "" }, entries: [] })
      const before = yield* store.stats
      expect(yield* refused(store.persist({ entries: entries(7, 8) }))).toBe(true)
      expect(yield* refused(store.persist({ entries: [entry(6), entry(8)] }))).toBe(true)
      expect(yield* refused(store.persist({ entries: entries(3, 4) }))).toBe(true)
      expect(yield* refused(store.persist({ truncateFrom: 2, entries: [] }))).toBe(true)
      expect(yield* refused(store.persist({ snapshot: { index: 2, term: 1, data: "" }, entries: [] }))).toBe(true)
      expect(yield* refused(store.persist({ entries: [entry(6, 1, "x".repeat(5000))] }))).toBe(true)
      expect((yield* store.stats).bytesWritten).toBe(before.bytesWritten)
      yield* store.persist({ entries: entries(6, 6) })
      expect((yield* restart(disk, 4096)).loaded.entries).toEqual(entries(4, 6))
    }))

  it.scoped("works the same on real files through RaftStore.layer", () =>
    Effect.gen(function* () {
      const folder = yield* Effect.acquireRelease(
        Effect.sync(() => fs.mkdtempSync(path.join(os.tmpdir(), "troupe-wal-"))),
        (dir) => Effect.sync(() => fs.rmSync(dir, { recursive: true, force: true }))
      )
      const layer = RaftStore.layer(defaultConfig().storage).pipe(Layer.provide(fileStorageLayer(folder)))
      const session = <A, E>(use: (store: typeof RaftStore.Service) => Effect.Effect<A, E>) =>
        Effect.provide(Effect.flatMap(RaftStore, use), layer)
      yield* session((store) =>
        Effect.gen(function* () {
          yield* store.load
          yield* store.persist({ hardState: { term: 4, vote: "127.0.0.1:9001" }, entries: entries(1, 300, 4) })
          yield* store.persist({ snapshot: { index: 100, term: 4, data: "kv state" }, entries: entries(301, 310, 4) })
        }))
      const loaded = yield* session((store) => store.load)
      expect(loaded.hardState).toEqual({ term: 4, vote: "127.0.0.1:9001" })
      expect(loaded.snapshot).toEqual(Option.some({ index: 100, term: 4, data: "kv state" }))
      expect(loaded.entries).toEqual(entries(101, 310, 4))
      expect(fs.readdirSync(folder).sort()).toEqual(["snapshot", "wal-00000001.log"])
    }))

  it.effect("after a failed write it refuses to persist until loaded again", () =>
    Effect.gen(function* () {
      // Room for two preallocated segments (the one being written, the next one after a reload), not for 2.4 MB of records in one.
      const disk = MemoryDisk.make({ capacityBytes: (2 << 20) + 2000 })
      const { store } = yield* openStore(disk, 4 << 20)
      yield* store.persist({ entries: entries(1, 5) })
      const big = Array.from({ length: 60 }, (_, offset) => entry(6 + offset, 1, "x".repeat(40_000)))
      const full = yield* Effect.either(store.persist({ entries: big }))
      expect(Either.isLeft(full) && full.left._tag).toBe("StorageError")
      const refused = yield* Effect.either(store.persist({ entries: entries(6, 6) }))
      expect(Either.isLeft(refused) && refused.left._tag).toBe("WalError")
      expect((yield* store.load).entries).toEqual(entries(1, 5))
      yield* store.persist({ entries: entries(6, 6) })
      expect((yield* restart(disk)).loaded.entries).toEqual(entries(1, 6))
    }))

  it.effect("matches a simple model over random batches and restarts", () =>
    Effect.promise(() =>
      fc.assert(
        fc.asyncProperty(
          fc.array(
            fc.record({ back: fc.nat(4), count: fc.nat(6), term: fc.integer({ min: 1, max: 3 }), restart: fc.boolean() }),
            { minLength: 1, maxLength: 25 }
          ),
          fc.integer({ min: 200, max: 2000 }),
          (steps, segmentBytes) =>
            Effect.runPromise(Effect.gen(function* () {
              const disk = MemoryDisk.make()
              let { store } = yield* openStore(disk, segmentBytes)
              let model: Array<ReturnType<typeof entry>> = []
              for (const step of steps) {
                const first = Math.max(1, model.length + 1 - step.back)
                const batch = entries(first, first + step.count - 1, step.term)
                yield* store.persist({ entries: batch })
                if (batch.length > 0) model = [...model.slice(0, first - 1), ...batch]
                if (step.restart) {
                  const reopened = yield* restart(disk, segmentBytes)
                  expect(reopened.loaded.entries).toEqual(model)
                  store = reopened.store
                }
              }
              expect((yield* restart(disk, segmentBytes)).loaded.entries).toEqual(model)
            }))
        ),
        { numRuns: 60 }
      )
    ))
})
