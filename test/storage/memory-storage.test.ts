import { describe, expect, it } from "@effect/vitest"
import { Effect, Either, Exit, Fiber, Option, Random, TestClock } from "effect"
import { MemoryDisk, memoryStorageLayer } from "../../src/storage/memory-storage.js"
import { Storage } from "../../src/storage/Storage.js"

const bytes = (text: string) => new TextEncoder().encode(text)
const text = (content: Option.Option<Uint8Array>) => Option.map(content, (value) => new TextDecoder().decode(value))

describe("MemoryDisk", () => {
  it.effect("a crash drops unsynced appends and keeps synced ones", () =>
    Effect.gen(function* () {
      const disk = MemoryDisk.make()
      const storage = disk.storage()
      yield* storage.append("log", bytes("durable|"))
      yield* storage.sync("log")
      yield* storage.append("log", bytes("lost"))
      expect(text(yield* storage.read("log"))).toEqual(Option.some("durable|lost"))
      const report = yield* disk.crash({ _tag: "DropUnsynced" })
      expect(report).toEqual([{ name: "log", unsyncedBytes: 4, keptBytes: 0, removed: false }])
      expect(text(yield* disk.storage().read("log"))).toEqual(Option.some("durable|"))
    }))

  it.effect("preallocate and writeAtAndSync are durable at once: a crash right after keeps them", () =>
    Effect.gen(function* () {
      const disk = MemoryDisk.make()
      yield* disk.storage().preallocate("log", 6)
      yield* disk.storage().writeAtAndSync("log", 1, bytes("kept"))
      expect(yield* disk.crash({ _tag: "DropUnsynced" })).toEqual([{ name: "log", unsyncedBytes: 0, keptBytes: 0, removed: false }])
      expect(Option.map(yield* disk.storage().read("log"), (content) => [...content])).toEqual(Option.some([0, ...bytes("kept"), 0]))
      const missing = yield* Effect.either(disk.storage().writeAtAndSync("nothing", 0, bytes("x")))
      expect(Either.isLeft(missing)).toBe(true)
    }))

  it.effect("an in-place write still in flight at a crash is lost, or torn to a seeded prefix", () =>
    Effect.gen(function* () {
      const landed = new Set<string>()
      for (const seed of [1, 2, 3, 4, 5, 6, 7, 8]) {
        const disk = MemoryDisk.make({ syncDelay: "10 millis" })
        const preallocating = yield* Effect.fork(disk.storage().preallocate("log", 4))
        yield* TestClock.adjust("10 millis")
        yield* Fiber.join(preallocating)
        const writing = yield* Effect.fork(disk.storage().writeAtAndSync("log", 2, bytes("abcdef")))
        yield* Effect.yieldNow()
        const [report] = yield* disk.crash({ _tag: "TornWrite", random: Random.make(seed) })
        // The write cannot be interrupted: it ends when its sync delay does, failed (the disk crashed under it).
        yield* TestClock.adjust("10 millis")
        expect(Exit.isFailure(yield* Fiber.await(writing))).toBe(true)
        const content = new TextDecoder().decode(Option.getOrThrow(yield* disk.storage().read("log")))
        expect(report!.unsyncedBytes).toBe(6)
        expect(report!.keptBytes).toBeLessThan(6)
        const kept = report!.keptBytes
        expect(content.slice(2, 2 + kept)).toBe("abcdef".slice(0, kept))
        expect(content.length).toBe(Math.max(4, 2 + kept))
        landed.add(content)
      }
      expect(landed.size).toBeGreaterThan(1)
    }))

  it.effect("a torn write keeps a seeded random prefix of the unsynced bytes", () =>
    Effect.gen(function* () {
      const keptBySeed = new Map<number, string>()
      for (const seed of [1, 2, 3, 4, 5, 6, 7, 8]) {
        const disk = MemoryDisk.make()
        const storage = disk.storage()
        yield* storage.append("log", bytes("base"))
        yield* storage.sync("log")
        yield* storage.append("log", bytes("0123456789"))
        const [report] = yield* disk.crash({ _tag: "TornWrite", random: Random.make(seed) })
        const after = Option.getOrThrow(text(yield* disk.storage().read("log")))
        expect(after).toBe("base" + "0123456789".slice(0, report!.keptBytes))
        expect(report!.keptBytes).toBeGreaterThanOrEqual(0)
        expect(report!.keptBytes).toBeLessThanOrEqual(10)
        keptBySeed.set(seed, after)
        // The same seed tears the same way.
        const again = MemoryDisk.make()
        yield* again.storage().append("log", bytes("base"))
        yield* again.storage().sync("log")
        yield* again.storage().append("log", bytes("0123456789"))
        yield* again.crash({ _tag: "TornWrite", random: Random.make(seed) })
        expect(text(yield* again.storage().read("log"))).toEqual(Option.some(after))
      }
      expect(new Set(keptBySeed.values()).size).toBeGreaterThan(1)
    }))

  it.effect("a file whose name was never synced disappears; atomic writes and truncates are durable", () =>
    Effect.gen(function* () {
      const disk = MemoryDisk.make()
      const storage = disk.storage()
      yield* storage.append("fresh", bytes("never synced"))
      yield* storage.writeAtomic("snapshot", bytes("state"))
      yield* storage.append("cut", bytes("abcdef"))
      yield* storage.truncate("cut", 3)
      yield* disk.crash()
      const after = disk.storage()
      expect(yield* after.list("")).toEqual(["cut", "snapshot"])
      expect(text(yield* after.read("snapshot"))).toEqual(Option.some("state"))
      expect(text(yield* after.read("cut"))).toEqual(Option.some("abc"))
    }))

  it.effect("handles from before a crash are fenced off", () =>
    Effect.gen(function* () {
      const disk = MemoryDisk.make()
      const before = disk.storage()
      yield* disk.crash()
      const result = yield* Effect.either(before.append("log", bytes("zombie write")))
      expect(Either.isLeft(result) && String(result.left.cause)).toContain("stale")
      expect(yield* disk.storage().list("")).toEqual([])
    }))

  it.effect("rejects bad names, missing files and writes past capacity", () =>
    Effect.gen(function* () {
      const storage = MemoryDisk.make({ capacityBytes: 8 }).storage()
      for (const name of ["", "../x", "a/b", ".hidden", "a..b"]) {
        expect(Either.isLeft(yield* Effect.either(storage.append(name, bytes("x"))))).toBe(true)
      }
      expect(Either.isLeft(yield* Effect.either(storage.sync("missing")))).toBe(true)
      expect(yield* storage.read("missing")).toEqual(Option.none())
      yield* storage.append("a", bytes("12345678"))
      const full = yield* Effect.either(storage.append("a", bytes("9")))
      expect(Either.isLeft(full) && String(full.left.cause)).toContain("disk full")
    }))

  it.effect("the layer gives each restart a new handle on the same disk", () =>
    Effect.gen(function* () {
      const disk = MemoryDisk.make()
      const write = Effect.flatMap(Storage, (storage) =>
        Effect.zipRight(storage.append("log", bytes("x")), storage.sync("log")))
      yield* Effect.provide(write, memoryStorageLayer(disk))
      yield* disk.crash()
      yield* Effect.provide(write, memoryStorageLayer(disk))
      expect(text(yield* disk.storage().read("log"))).toEqual(Option.some("xx"))
      expect(disk.stats.syncs).toBe(2)
    }))
})
