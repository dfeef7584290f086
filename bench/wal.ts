/**
 * Raft WAL throughput on a real temp folder: records/s and fsyncs/s for batches of 1, 64 and
 * 512 entries of 100 bytes (about 3 s per case), then the time to replay what was written.
 * Run: npx tsx bench/wal.ts
 */
import * as fs from "node:fs"
import * as os from "node:os"
import * as path from "node:path"
import { Duration, Effect } from "effect"
import { defaultConfig } from "../src/config/load.js"
import type { Entry } from "../src/raft/messages.js"
import { makeFileStorage } from "../src/storage/file-storage.js"
import { makeRaftStore } from "../src/storage/wal.js"

const CASE_DURATION = Duration.seconds(3)
const ENTRY_DATA_BYTES = 100
const BATCH_SIZES = [1, 64, 512] as const
/** Stops a case early on a very fast disk so the bench stays bounded in space too. */
const MAX_ENTRIES_PER_CASE = 2_000_000

const payload = "x".repeat(ENTRY_DATA_BYTES)

const runCase = (batchSize: number) =>
  Effect.scoped(
    Effect.gen(function* () {
      const folder = yield* Effect.acquireRelease(
        Effect.sync(() => fs.mkdtempSync(path.join(os.tmpdir(), "troupe-bench-wal-"))),
        (dir) => Effect.sync(() => fs.rmSync(dir, { recursive: true, force: true }))
      )
      const config = { walSegmentBytes: defaultConfig().storage.walSegmentBytes }
      const files = yield* makeFileStorage(folder)
      const store = yield* makeRaftStore(files.storage, config)
      yield* store.load
      const deadline = performance.now() + Duration.toMillis(CASE_DURATION)
      const started = performance.now()
      let next = 1
      while (performance.now() < deadline && next <= MAX_ENTRIES_PER_CASE) {
        const batch: Array<Entry> = []
        for (let offset = 0; offset < batchSize; offset++) batch.push({ term: 1, index: next + offset, kind: "command", data: payload })
        yield* store.persist({ entries: batch })
        next += batchSize
      }
      const seconds = (performance.now() - started) / 1000
      const stats = yield* store.stats
      const replayStarted = performance.now()
      const reloaded = yield* (yield* makeRaftStore(files.storage, config)).load
      const replayMs = performance.now() - replayStarted
      return {
        batchSize,
        "records/s": Math.round((next - 1) / seconds),
        "fsyncs/s": Math.round(stats.fsyncs / seconds),
        "ms/persist": Number(((seconds * 1000) / stats.persists).toFixed(3)),
        "MB written": Number((stats.bytesWritten / 1e6).toFixed(1)),
        "replay ms": Math.round(replayMs),
        "replayed": reloaded.entries.length
      }
    })
  )

const main = Effect.gen(function* () {
  console.log(`WAL bench on ${os.tmpdir()} (node ${process.version}), ${ENTRY_DATA_BYTES}-byte entries, ~${Duration.format(CASE_DURATION)} per case`)
  const rows = yield* Effect.forEach(BATCH_SIZES, runCase)
  console.table(rows)
})

Effect.runPromise(main).catch((error: unknown) => {
  console.error(error)
  process.exitCode = 1
})
