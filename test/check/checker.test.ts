/** checkHistory on hand-made histories: each names the anomaly it contains (or the overlap it allows). */
import { describe, expect, it } from "@effect/vitest"
import { checkHistory, exitCodeOf } from "../../src/check/checker.js"
import type { Operation } from "../../src/check/history.js"
import { formatReport } from "../../src/check/report.js"

type Times = { readonly call: number; readonly ret: number | null; readonly ok?: boolean | null; readonly client?: number }
const timing = (t: Times) => ({ client: t.client ?? 1, call: t.call, ret: t.ret, ok: t.ok === undefined ? true : t.ok })
const put = (key: string, value: string, old: string | null, t: Times): Operation => ({ ...timing(t), op: "put", key, value, output: old })
const get = (key: string, read: string | null, t: Times): Operation => ({ ...timing(t), op: "get", key, output: read })
const del = (key: string, old: string | null, t: Times): Operation => ({ ...timing(t), op: "del", key, output: old })
const cas = (key: string, from: string | null, to: string, swapped: boolean, t: Times): Operation => ({
  ...timing(t),
  op: "cas",
  key,
  expect: from,
  value: to,
  output: String(swapped)
})
const unknown = { ok: null, ret: null } as const

const verdictOf = (operations: ReadonlyArray<Operation>) => checkHistory(operations).verdict

describe("anomalies are rejected", () => {
  it("stale read: a get returns a value overwritten by a write that completed before it began", () => {
    const history = [
      put("x", "a", null, { call: 0, ret: 1 }),
      put("x", "b", "a", { call: 2, ret: 3 }),
      get("x", "a", { call: 4, ret: 5, client: 2 })
    ]
    const result = checkHistory(history)
    expect(result.verdict).toBe("no")
    expect(result.staleReads).toBe(1)
    const witness = result.witness!
    expect(witness.key).toBe("x")
    expect(witness.linearizedCount).toBe(2)
    expect(witness.valueAfterPrefix).toBe("b")
    expect(witness.prefixTail.map((op) => op.index)).toEqual([0, 1])
    expect(witness.blocked.map((op) => op.index)).toEqual([2])
    expect(witness.blocked[0]!.reason).toBe(`read "a" but the value is "b"`)
  })

  it("lost write: an acknowledged put never shows up", () => {
    const acknowledgedThenLost = [put("x", "a", null, { call: 0, ret: 1 }), get("x", null, { call: 2, ret: 3 })]
    expect(verdictOf(acknowledgedThenLost)).toBe("no")
    // Two sequential puts both claiming to replace "nothing": the first one was lost.
    const bothSawNull = [put("x", "a", null, { call: 0, ret: 1 }), put("x", "b", null, { call: 2, ret: 3 })]
    const result = checkHistory(bothSawNull)
    expect(result.verdict).toBe("no")
    expect(result.witness!.blocked[0]!.reason).toBe(`saw old value absent but the value is "a"`)
  })

  it("phantom value: a read of something nobody wrote (not counted as stale)", () => {
    const result = checkHistory([put("x", "a", null, { call: 0, ret: 1 }), get("x", "zzz", { call: 2, ret: 3 })])
    expect(result.verdict).toBe("no")
    expect(result.staleReads).toBe(0)
  })

  it("a failed write (ok: false) that is read anyway", () => {
    expect(verdictOf([put("x", "a", null, { call: 0, ret: 1, ok: false }), get("x", "a", { call: 2, ret: 3 })])).toBe("no")
  })

  it("a value read before the write was even called", () => {
    expect(verdictOf([get("x", "a", { call: 0, ret: 1 }), put("x", "a", null, { call: 2, ...unknown })])).toBe("no")
    expect(verdictOf([get("x", "a", { call: 0, ret: 1 }), put("x", "a", null, { call: 2, ret: 3 })])).toBe("no")
  })

  it("an unknown write that appears and then disappears", () => {
    const history = [
      put("x", "a", null, { call: 0, ...unknown }),
      get("x", "a", { call: 5, ret: 6 }),
      get("x", null, { call: 7, ret: 8 })
    ]
    expect(verdictOf(history)).toBe("no")
  })

  it("cas results that contradict the value", () => {
    const setup = put("x", "a", null, { call: 0, ret: 1 })
    expect(verdictOf([setup, cas("x", "a", "c", false, { call: 2, ret: 3 })])).toBe("no")
    expect(verdictOf([setup, cas("x", "b", "c", true, { call: 2, ret: 3 })])).toBe("no")
  })

  it("one bad key makes the whole history bad, and the witness names it", () => {
    const history = [
      put("good", "a", null, { call: 0, ret: 1 }),
      get("good", "a", { call: 2, ret: 3 }),
      put("bad", "a", null, { call: 0, ret: 1 }),
      get("bad", null, { call: 2, ret: 3 })
    ]
    const result = checkHistory(history)
    expect(result.verdict).toBe("no")
    expect(result.perKey.map((key) => [key.key, key.verdict])).toEqual([["bad", "no"], ["good", "yes"]])
    expect(result.witness!.key).toBe("bad")
    expect(result.witness!.blocked[0]!.index).toBe(3)
  })
})

describe("valid concurrency is accepted", () => {
  it("reads overlapping a write may see either value, but not go back", () => {
    const write = put("x", "a", null, { call: 0, ret: 10 })
    const ok = [write, get("x", null, { call: 1, ret: 2 }), get("x", "a", { call: 3, ret: 4 }), get("x", "a", { call: 5, ret: 6 })]
    expect(verdictOf(ok)).toBe("yes")
    const back = [write, get("x", "a", { call: 1, ret: 2 }), get("x", null, { call: 3, ret: 4 })]
    expect(verdictOf(back)).toBe("no")
  })

  it("overlapping puts may take effect in the opposite order of their calls", () => {
    const history = [
      put("x", "a", "b", { call: 0, ret: 10 }),
      put("x", "b", null, { call: 1, ret: 9, client: 2 }),
      get("x", "a", { call: 11, ret: 12 })
    ]
    expect(verdictOf(history)).toBe("yes")
  })

  it("operations touching the same instant count as concurrent", () => {
    expect(verdictOf([put("x", "a", null, { call: 0, ret: 5 }), get("x", null, { call: 5, ret: 6 })])).toBe("yes")
    expect(verdictOf([put("x", "a", null, { call: 0, ret: 5 }), get("x", null, { call: 6, ret: 7 })])).toBe("no")
  })

  it("an unknown write may take effect late", () => {
    const history = [put("x", "a", null, { call: 0, ...unknown }), get("x", null, { call: 5, ret: 6 }), get("x", "a", { call: 7, ret: 8 })]
    expect(verdictOf(history)).toBe("yes")
  })

  it("an unknown write may never take effect", () => {
    const history = [put("x", "a", null, { call: 0, ...unknown }), get("x", null, { call: 5, ret: 6 }), get("x", null, { call: 7, ret: 8 })]
    const result = checkHistory(history)
    expect(result.verdict).toBe("yes")
    expect(result.perKey[0]!.droppedUnknownWrites).toBe(1)
  })

  it("an unknown write whose effect another write reports as the old value", () => {
    const history = [put("x", "a", null, { call: 0, ...unknown }), put("x", "b", "a", { call: 5, ret: 6 })]
    expect(verdictOf(history)).toBe("yes")
  })

  it("del and cas follow the register rules", () => {
    const history = [
      put("x", "a", null, { call: 0, ret: 1 }),
      cas("x", "a", "b", true, { call: 2, ret: 3 }),
      cas("x", "a", "c", false, { call: 4, ret: 5 }),
      del("x", "b", { call: 6, ret: 7 }),
      get("x", null, { call: 8, ret: 9 }),
      cas("x", null, "d", true, { call: 10, ret: 11 }),
      get("x", "d", { call: 12, ret: 13 })
    ]
    expect(verdictOf(history)).toBe("yes")
  })

  it("a put without a reported old value constrains nothing about the old value", () => {
    const blind: Operation = { client: 1, op: "put", key: "x", value: "b", call: 2, ret: 3, ok: true }
    expect(verdictOf([put("x", "a", null, { call: 0, ret: 1 }), blind, get("x", "b", { call: 4, ret: 5 })])).toBe("yes")
  })

  it("ignores failed operations and reads of unknown outcome", () => {
    const history = [
      put("x", "a", null, { call: 0, ret: 1 }),
      get("x", "zzz", { call: 2, ...unknown }),
      put("x", "q", "nonsense", { call: 2, ret: 3, ok: false })
    ]
    const result = checkHistory(history)
    expect(result.verdict).toBe("yes")
    expect(result.failedDropped).toBe(1)
    expect(result.unknownReadsDropped).toBe(1)
  })
})

describe("bounds and reporting", () => {
  /** n unknown writes, each read by a concurrent get, then a read nobody could explain:
   * refuting it means trying many subsets and orders of the writes. */
  const manyUnknownWrites = (n: number): Array<Operation> => {
    const writes = Array.from({ length: n }, (_, i) => put("x", `v${i}`, null, { call: 0, ...unknown }))
    const reads = writes.map((_, i) => get("x", `v${i}`, { call: 1, ret: 100 }))
    return [...writes, ...reads, get("x", "never", { call: 101, ret: 102 })]
  }

  it("answers unknown when the step budget runs out", () => {
    const history = manyUnknownWrites(6)
    const result = checkHistory(history, { limits: { maxStepsPerKey: 50 } })
    expect(result.verdict).toBe("unknown")
    expect(result.perKey[0]!.reason).toContain("50 steps")
    expect(checkHistory(history).verdict).toBe("no")
    expect(formatReport(result).split("\n").at(-1)).toBe("linearizable: unknown")
  })

  it("answers unknown when the memo budget runs out", () => {
    const result = checkHistory(manyUnknownWrites(14), { limits: { maxCacheBytesPerKey: 64 * 1024 } })
    expect(result.verdict).toBe("unknown")
    expect(result.perKey[0]!.reason).toContain("memo")
  })

  it("shares one step budget over all keys", () => {
    // Each key needs 2 steps (two lifts): "a" uses 2 of 3, "b" runs out, nothing is left for "c".
    const history = ["a", "b", "c"].flatMap((key) => [put(key, "1", null, { call: 0, ret: 1 }), get(key, "1", { call: 2, ret: 3 })])
    const result = checkHistory(history, { limits: { maxStepsTotal: 3 } })
    expect(result.perKey.map((key) => key.verdict)).toEqual(["yes", "unknown", "unknown"])
    expect(result.verdict).toBe("unknown")
  })

  it("counts malformed operations, drops them, and will not answer yes", () => {
    const bad: Operation = { client: 1, op: "put", key: "x", value: "a", call: 5, ret: 1, ok: true }
    const result = checkHistory([bad, get("x", null, { call: 0, ret: 1 })])
    expect(result.malformed).toBe(1)
    expect(result.firstMalformed).toEqual({ index: 0, problem: "ret 1 is before call 5" })
    expect(result.verdict).toBe("unknown")
  })

  it("maps verdicts to exit codes 0, 1, 2 and ends the report with the verdict", () => {
    expect([exitCodeOf("yes"), exitCodeOf("no"), exitCodeOf("unknown")]).toEqual([0, 1, 2])
    const no = checkHistory([put("x", "a", null, { call: 0, ret: 1 }), get("x", null, { call: 2, ret: 3 })])
    const lines = formatReport(no).split("\n")
    expect(lines.at(-1)).toBe("linearizable: NO")
    expect(lines).toContain(`key "x" is not linearizable.`)
    expect(lines.some((line) => line.includes(`op 2 client 1: get "x" -> absent  [call 2, ret 3]`))).toBe(true)
    expect(formatReport(checkHistory([])).split("\n").at(-1)).toBe("linearizable: yes")
  })
})
