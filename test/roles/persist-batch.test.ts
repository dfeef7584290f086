import { describe, expect, it } from "vitest"
import type { Entry } from "../../src/raft/messages.js"
import { emptyOutput } from "../../src/raft/output.js"
import type { RaftOutput } from "../../src/raft/types.js"
import { chunkBatch, emptyBatch, mergePersist, type PersistBatch, settlesBeforePersist } from "../../src/roles/persist-batch.js"

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

describe("answering before the write", () => {
  const output = (changes: Partial<RaftOutput> & { persist?: RaftOutput["persist"] }): RaftOutput => ({ ...emptyOutput(), ...changes })

  it("settles first when everything applied was written by earlier batches and nothing is undone", () => {
    // The leader's batch under load: commit 10-12 on acks while writing 13-14.
    expect(settlesBeforePersist([
      output({ apply: [entry(10), entry(11), entry(12)], persist: { entries: [entry(13), entry(14)] } }),
      output({ apply: [], persist: { entries: [] } })
    ])).toBe(true)
    expect(settlesBeforePersist([output({ apply: [entry(4)], persist: { entries: [] } })])).toBe(true)
  })

  it("settles after the write when an applied entry is written in this batch (a single node, a follower)", () => {
    expect(settlesBeforePersist([output({ apply: [entry(13)], persist: { entries: [entry(13), entry(14)] } })])).toBe(false)
    expect(settlesBeforePersist([
      output({ apply: [], persist: { entries: [entry(13)] } }),
      output({ apply: [entry(12), entry(13)], persist: { entries: [] } })
    ])).toBe(false)
  })

  it("settles after the write when the batch truncates, changes term or vote, or installs a snapshot", () => {
    const applied = { apply: [entry(4)] }
    expect(settlesBeforePersist([output({ ...applied, persist: { truncateFrom: 9, entries: [] } })])).toBe(false)
    expect(settlesBeforePersist([output({ ...applied, persist: { hardState: { term: 4, vote: null }, entries: [] } })])).toBe(false)
    expect(settlesBeforePersist([output({ ...applied, persist: { snapshot: { index: 3, term: 3, data: "{}" }, entries: [] } })])).toBe(false)
    expect(settlesBeforePersist([output({ ...applied, softState: { role: "follower", term: 4, leader: null } })])).toBe(false)
    expect(settlesBeforePersist([output({ ...applied, applySnapshot: { index: 3, term: 3, data: "{}" } })])).toBe(false)
  })
})
