import { describe, expect, it } from "vitest"
import fc from "fast-check"
import { RaftLog } from "../../src/raft/log.js"
import type { Entry } from "../../src/raft/messages.js"

const build = (snapshotIndex: number, snapshotTerm: number, terms: ReadonlyArray<number>): RaftLog =>
  new RaftLog(snapshotIndex, snapshotTerm, terms.map((term, i): Entry => ({ index: snapshotIndex + 1 + i, term, kind: "command", data: `d${i}` })))

/** Non-decreasing terms starting at or above the snapshot term. */
const logArbitrary = fc.record({
  snapshotIndex: fc.integer({ min: 0, max: 20 }),
  snapshotTerm: fc.integer({ min: 0, max: 3 }),
  steps: fc.array(fc.integer({ min: 0, max: 2 }), { maxLength: 60 })
}).map(({ snapshotIndex, snapshotTerm, steps }) => {
  let term = Math.max(snapshotTerm, snapshotIndex === 0 ? 0 : 1)
  const terms = steps.map((step) => (term += step, Math.max(term, 1)))
  return { snapshotIndex: snapshotIndex, snapshotTerm: snapshotIndex === 0 ? 0 : Math.max(1, snapshotTerm), terms }
})

describe("RaftLog", () => {
  it("term searches agree with a linear scan", () => {
    fc.assert(fc.property(logArbitrary, fc.integer({ min: 0, max: 12 }), ({ snapshotIndex, snapshotTerm, terms }, term) => {
      const log = build(snapshotIndex, snapshotTerm, terms)
      const indexes = Array.from({ length: log.lastIndex - snapshotIndex + 1 }, (_, i) => snapshotIndex + i)
      const last = indexes.filter((index) => log.termAt(index) === term).pop()
      expect(log.lastIndexOfTerm(term, log.lastIndex)).toBe(last)
      const first = indexes.find((index) => index >= log.firstIndex && log.termAt(index)! >= term) ?? log.lastIndex + 1
      expect(log.firstIndexWithTermAtLeast(term, 0)).toBe(first)
    }))
  })

  it("slices within entry and byte limits, but always moves an oversized entry", () => {
    const log = new RaftLog(0, 0, [
      { index: 1, term: 1, kind: "command", data: "x".repeat(100) },
      { index: 2, term: 1, kind: "command", data: "ab" },
      { index: 3, term: 1, kind: "command", data: "cd" },
      { index: 4, term: 1, kind: "command", data: "ef" }
    ])
    expect(log.slice(1, 10, 10).map((entry) => entry.index)).toEqual([1])
    expect(log.slice(2, 10, 4).map((entry) => entry.index)).toEqual([2, 3])
    expect(log.slice(2, 1, 100).map((entry) => entry.index)).toEqual([2])
    expect(log.slice(5, 10, 100)).toEqual([])
  })

  it("truncates, compacts and resets", () => {
    const log = build(0, 0, [1, 1, 2, 2, 3])
    log.truncateFrom(4)
    expect(log.lastIndex).toBe(3)
    log.compactTo(2, 1)
    expect([log.snapshotIndex, log.snapshotTerm, log.firstIndex, log.lastIndex, log.lastTerm]).toEqual([2, 1, 3, 3, 2])
    expect(log.termAt(1)).toBeUndefined()
    expect(log.termAt(2)).toBe(1)
    log.reset(10, 4)
    expect([log.lastIndex, log.lastTerm, log.entryAt(10)]).toEqual([10, 4, undefined])
    expect(log.isUpToDate(10, 4)).toBe(true)
    expect(log.isUpToDate(11, 3)).toBe(false)
  })
})
