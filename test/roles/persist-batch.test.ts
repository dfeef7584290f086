import { describe, expect, it } from "vitest"
import type { Entry } from "../../src/raft/messages.js"
import { chunkBatch, emptyBatch, mergePersist, type PersistBatch } from "../../src/roles/persist-batch.js"

const entry = (index: number, data = `v${index}`): Entry => ({ term: 3, index, kind: "command", data })
const indices = (chunks: ReadonlyArray<PersistBatch>) => chunks.map((chunk) => chunk.entries.map((e) => e.index))

describe("group commit batches", () => {
  it("a later truncation drops the batched entries it covers, or truncates storage below them", () => {
    const batch = emptyBatch()
    mergePersist(batch, { entries: [entry(5), entry(6), entry(7)] })
    mergePersist(batch, { truncateFrom: 6, entries: [entry(6, "new")] })
    expect(batch.entries.map((e) => e.data)).toEqual(["v5", "new"])
    expect(batch.truncateFrom).toBeUndefined()
    mergePersist(batch, { truncateFrom: 2, hardState: { term: 4, vote: null }, entries: [entry(2)] })
    expect(batch).toEqual({ hardState: { term: 4, vote: null }, truncateFrom: 2, entries: [entry(2)] })
  })

  it("splits into writes of at most maxEntries entries and maxBytes bytes, hard state and truncation first", () => {
    const batch: PersistBatch = {
      hardState: { term: 3, vote: "a" }, truncateFrom: 1, entries: Array.from({ length: 7 }, (_, i) => entry(i + 1, "x".repeat(10)))
    }
    const byCount = chunkBatch(batch, 3, 1000)
    expect(indices(byCount)).toEqual([[1, 2, 3], [4, 5, 6], [7]])
    expect(byCount[0]!.hardState).toEqual({ term: 3, vote: "a" })
    expect(byCount[0]!.truncateFrom).toBe(1)
    expect(byCount.slice(1).every((chunk) => chunk.hardState === undefined && chunk.truncateFrom === undefined)).toBe(true)
    expect(indices(chunkBatch(batch, 100, 25))).toEqual([[1, 2], [3, 4], [5, 6], [7]])
    // Bytes are UTF-8: two 3-byte characters are 6 bytes.
    expect(indices(chunkBatch({ ...emptyBatch(), entries: [entry(1, "\u20ac\u20ac"), entry(2, "\u20ac\u20ac")] }, 10, 11))).toEqual([[1], [2]])
  })

  it("an entry over maxBytes goes alone; a batch within the limits stays one write", () => {
    const batch: PersistBatch = { ...emptyBatch(), entries: [entry(1, "a"), entry(2, "x".repeat(50)), entry(3, "b")] }
    expect(indices(chunkBatch(batch, 10, 20))).toEqual([[1], [2], [3]])
    expect(chunkBatch(batch, 10, 1000)).toEqual([batch])
    const termOnly: PersistBatch = { ...emptyBatch(), hardState: { term: 9, vote: null } }
    expect(chunkBatch(termOnly, 1, 1)).toEqual([termOnly])
  })
})
