import * as fs from "node:fs"
import * as os from "node:os"
import * as path from "node:path"
import { describe, expect, it } from "@effect/vitest"
import { Effect, Either, Option } from "effect"
import { FileStorageMetrics, fileStorageLayer, makeFileStorage } from "../../src/storage/file-storage.js"
import { Storage } from "../../src/storage/Storage.js"

const bytes = (text: string) => new TextEncoder().encode(text)
const text = (content: Option.Option<Uint8Array>) => Option.map(content, (value) => new TextDecoder().decode(value))

/** A fresh folder under the OS temp dir, removed when the test's scope closes. */
const tempFolder = Effect.acquireRelease(
  Effect.sync(() => fs.mkdtempSync(path.join(os.tmpdir(), "troupe-storage-"))),
  (folder) => Effect.sync(() => fs.rmSync(folder, { recursive: true, force: true }))
)

describe("file storage", () => {
  it.scoped("appends, syncs and reads back, also after reopening the folder", () =>
    Effect.gen(function* () {
      const folder = yield* tempFolder
      const first = yield* makeFileStorage(path.join(folder, "data"))
      yield* first.storage.append("wal-00000001.log", bytes("one,"))
      yield* first.storage.append("wal-00000001.log", bytes("two"))
      yield* first.storage.sync("wal-00000001.log")
      expect(text(yield* first.storage.read("wal-00000001.log"))).toEqual(Option.some("one,two"))
      const reopened = yield* makeFileStorage(path.join(folder, "data"))
      expect(text(yield* reopened.storage.read("wal-00000001.log"))).toEqual(Option.some("one,two"))
      expect(fs.readFileSync(path.join(folder, "data", "wal-00000001.log"), "utf8")).toBe("one,two")
    }))

  it.scoped("counts fsyncs: every sync, and the folder once for a new name", () =>
    Effect.gen(function* () {
      const { stats, storage } = yield* makeFileStorage(yield* tempFolder)
      yield* storage.append("log", bytes("a"))
      yield* storage.sync("log")
      const afterFirst = yield* stats
      expect(afterFirst.fileSyncs).toBe(1)
      expect(afterFirst.folderSyncs).toBe(1)
      for (let round = 0; round < 5; round++) {
        yield* storage.append("log", bytes("b"))
        yield* storage.sync("log")
      }
      const afterMore = yield* stats
      expect(afterMore.fileSyncs).toBe(6)
      expect(afterMore.folderSyncs).toBe(1)
      expect(afterMore.filesOpened).toBe(1)
      expect(afterMore.bytesAppended).toBe(6)
    }))

  it.scoped("preallocate writes zeros ahead; writeAtAndSync overwrites in place (an open file on the fast path), durably and counted", () =>
    Effect.gen(function* () {
      const folder = yield* tempFolder
      const { stats, storage } = yield* makeFileStorage(folder, { maxOpenFiles: 1 })
      const failedWrite = yield* Effect.either(storage.writeAtAndSync("log", 0, bytes("a")))
      expect(Either.isLeft(failedWrite) && failedWrite.left.operation).toBe("writeAt")
      yield* storage.preallocate("log", 8)
      expect(fs.readFileSync(path.join(folder, "log"))).toEqual(Buffer.alloc(8))
      expect(yield* stats).toMatchObject({ fileSyncs: 1, folderSyncs: 1, filesOpened: 2, bytesPreallocated: 8 })
      yield* storage.writeAtAndSync("log", 0, bytes("ab"))
      yield* storage.writeAtAndSync("log", 2, bytes("cd"))
      // Past the preallocated end is allowed too (the file grows); a smaller preallocate changes nothing.
      yield* storage.writeAtAndSync("log", 7, bytes("xyz"))
      yield* storage.preallocate("log", 4)
      expect(yield* stats).toMatchObject({ fileSyncs: 4, folderSyncs: 1, bytesWrittenInPlace: 7, bytesPreallocated: 8 })
      // Another file evicts the handle: the next write on "log" reopens it (slow path).
      yield* storage.preallocate("other", 1)
      yield* storage.writeAtAndSync("log", 4, bytes("e"))
      expect(yield* stats).toMatchObject({ openFiles: 1, bytesWrittenInPlace: 8 })
      expect(fs.readFileSync(path.join(folder, "log"), "latin1")).toBe("abcde\0\0xyz")
      const badOffset = yield* Effect.either(storage.writeAtAndSync("log", -1, bytes("no")))
      expect(Either.isLeft(badOffset) && badOffset.left.operation).toBe("writeAt")
      const escape = yield* Effect.either(storage.preallocate("../escape", 10))
      expect(Either.isLeft(escape) && escape.left.operation).toBe("preallocate")
    }))

  it.scoped("writeAtomic replaces the whole file and a crashed write's temp file is cleaned up", () =>
    Effect.gen(function* () {
      const folder = yield* tempFolder
      const { storage } = yield* makeFileStorage(folder)
      yield* storage.writeAtomic("snapshot", bytes("version 1"))
      yield* storage.writeAtomic("snapshot", bytes("v2"))
      expect(text(yield* storage.read("snapshot"))).toEqual(Option.some("v2"))
      // A writeAtomic that crashed before its rename leaves only a temp file behind.
      fs.writeFileSync(path.join(folder, ".snapshot.9.tmp"), "half of version 3")
      const restarted = yield* makeFileStorage(folder)
      expect(text(yield* restarted.storage.read("snapshot"))).toEqual(Option.some("v2"))
      expect(fs.readdirSync(folder).sort()).toEqual(["snapshot"])
    }))

  it.scoped("writeAtomic over a file open for appends leaves later appends on the new file", () =>
    Effect.gen(function* () {
      const { storage } = yield* makeFileStorage(yield* tempFolder)
      yield* storage.append("meta", bytes("old"))
      yield* storage.writeAtomic("meta", bytes("new"))
      yield* storage.append("meta", bytes("+more"))
      yield* storage.sync("meta")
      expect(text(yield* storage.read("meta"))).toEqual(Option.some("new+more"))
    }))

  it.scoped("keeps at most maxOpenFiles handles while appending to many files", () =>
    Effect.gen(function* () {
      const { stats, storage } = yield* makeFileStorage(yield* tempFolder, { maxOpenFiles: 2 })
      const names = ["a", "b", "c", "d", "e"]
      for (let round = 0; round < 4; round++) {
        yield* Effect.forEach(names, (name) => storage.append(name, bytes(`${round}`)), { concurrency: "unbounded" })
        expect((yield* stats).openFiles).toBeLessThanOrEqual(2)
      }
      yield* Effect.forEach(names, storage.sync, { discard: true })
      for (const name of names) expect(text(yield* storage.read(name))).toEqual(Option.some("0123"))
    }))

  it.scoped("truncates, removes and lists by prefix", () =>
    Effect.gen(function* () {
      const { storage } = yield* makeFileStorage(yield* tempFolder)
      for (const name of ["wal-00000002.log", "wal-00000001.log", "snapshot"]) yield* storage.append(name, bytes("0123456789"))
      yield* storage.truncate("wal-00000002.log", 4)
      expect(text(yield* storage.read("wal-00000002.log"))).toEqual(Option.some("0123"))
      yield* storage.truncate("wal-00000002.log", 100)
      expect(text(yield* storage.read("wal-00000002.log"))).toEqual(Option.some("0123"))
      expect(yield* storage.list("wal-")).toEqual(["wal-00000001.log", "wal-00000002.log"])
      yield* storage.remove("wal-00000001.log")
      yield* storage.remove("wal-00000001.log")
      expect(yield* storage.list("")).toEqual(["snapshot", "wal-00000002.log"])
      yield* storage.append("wal-00000002.log", bytes("x"))
      expect(text(yield* storage.read("wal-00000002.log"))).toEqual(Option.some("0123x"))
    }))

  it.scoped("rejects names that leave the folder, and missing files where they must exist", () =>
    Effect.gen(function* () {
      const folder = yield* tempFolder
      const { storage } = yield* makeFileStorage(path.join(folder, "inner"))
      for (const name of ["../escape", "a/b", "..", ".hidden", ""]) {
        const result = yield* Effect.either(storage.writeAtomic(name, bytes("x")))
        expect(Either.isLeft(result)).toBe(true)
      }
      expect(fs.readdirSync(folder)).toEqual(["inner"])
      expect(yield* storage.read("missing")).toEqual(Option.none())
      expect(Either.isLeft(yield* Effect.either(storage.sync("missing")))).toBe(true)
      expect(Either.isLeft(yield* Effect.either(storage.truncate("missing", 0)))).toBe(true)
      expect(fs.readdirSync(path.join(folder, "inner"))).toEqual([])
    }))

  it.scoped("the layer provides Storage and its metrics", () =>
    Effect.gen(function* () {
      const folder = yield* tempFolder
      const program = Effect.gen(function* () {
        const storage = yield* Storage
        yield* storage.append("log", bytes("abc"))
        yield* storage.sync("log")
        return yield* (yield* FileStorageMetrics).stats
      })
      const stats = yield* Effect.provide(program, fileStorageLayer(folder))
      expect(stats.fileSyncs).toBe(1)
      expect(stats.bytesAppended).toBe(3)
    }))
})
