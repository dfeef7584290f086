/** Shared fixtures for the WAL tests: entries, a store on a memory disk, restarts. */
import { Effect } from "effect"
import type { Entry } from "../../src/raft/messages.js"
import { MemoryDisk } from "../../src/storage/memory-storage.js"
import { makeRaftStore } from "../../src/storage/wal.js"

export const entry = (index: number, term = 1, data = `value-${index}`): Entry => ({ term, index, kind: "command", data })

/** Entries first..last (inclusive) in one term. */
export const entries = (first: number, last: number, term = 1): Array<Entry> =>
  Array.from({ length: Math.max(0, last - first + 1) }, (_, offset) => entry(first + offset, term))

/** Opens and loads a store on `disk`, as a node does at start. */
export const openStore = (disk: MemoryDisk, walSegmentBytes = 1 << 20) =>
  Effect.gen(function* () {
    const store = yield* makeRaftStore(disk.storage(), { walSegmentBytes })
    const loaded = yield* store.load
    return { store, loaded }
  })

/** Power loss then start again on the same disk. */
export const restart = (disk: MemoryDisk, walSegmentBytes = 1 << 20) =>
  Effect.zipRight(disk.crash(), openStore(disk, walSegmentBytes))

/** A copy of `disk` holding the durable content of each file, with `edit` applied to it. */
export const copyDisk = (
  disk: MemoryDisk,
  names: ReadonlyArray<string>,
  edit: (name: string, bytes: Uint8Array) => Uint8Array = (_, bytes) => bytes
) =>
  Effect.gen(function* () {
    const copy = MemoryDisk.make()
    for (const name of names) {
      const content = disk.durableContent(name)
      if (content._tag === "Some") yield* copy.storage().writeAtomic(name, edit(name, content.value))
    }
    return copy
  })
