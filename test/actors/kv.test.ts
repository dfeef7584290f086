import { describe, expect, it } from "@effect/vitest"
import type { KvCommand } from "../../actors/kv/commands.js"
import * as fc from "fast-check"
import { captureKv } from "../../actors/kv/capture.js"
import { answerQuery, applyCommand, emptyKvState, type KvState, restoreKv, snapshotKv } from "../../actors/kv/state-machine.js"
import { keyProblem, valueProblem } from "../../actors/kv/validate.js"

const limits = { maxSessions: 3, maxTotalBytes: 1000, maxKeysListed: 2 }
const put = (key: string, value: string, client = "c1", seq = 1): KvCommand => ({ _tag: "put", key, value, client, seq })

describe("kv state machine", () => {
  it("put returns the old value, get reads, del removes", () => {
    const state = emptyKvState()
    expect(applyCommand(state, put("a", "1", "c", 1), limits)).toEqual({ _tag: "value", value: null })
    expect(applyCommand(state, put("a", "2", "c", 2), limits)).toEqual({ _tag: "value", value: "1" })
    expect(answerQuery(state, { _tag: "get", key: "a" }, limits)).toEqual({ _tag: "value", value: "2" })
    expect(applyCommand(state, { _tag: "del", key: "a", client: "c", seq: 3 }, limits)).toEqual({ _tag: "value", value: "2" })
    expect(answerQuery(state, { _tag: "get", key: "a" }, limits)).toEqual({ _tag: "value", value: null })
    expect(state.totalBytes).toBe(0)
  })

  it("cas swaps only on the expected value, null meaning absent", () => {
    const state = emptyKvState()
    const cas = (expect: string | null, value: string | null, seq: number): KvCommand =>
      ({ _tag: "cas", key: "k", expect, value, client: "c", seq })
    expect(applyCommand(state, cas("x", "y", 1), limits)).toMatchObject({ swapped: false, previous: null })
    expect(applyCommand(state, cas(null, "y", 2), limits)).toMatchObject({ swapped: true, previous: null })
    expect(applyCommand(state, cas("y", null, 3), limits)).toMatchObject({ swapped: true, previous: "y" })
    expect(state.data.has("k")).toBe(false)
  })

  it("a retried write applies once and answers with its first result", () => {
    const state = emptyKvState()
    applyCommand(state, put("a", "1", "c", 1), limits)
    const first = applyCommand(state, put("a", "2", "c", 2), limits)
    applyCommand(state, put("a", "3", "other", 1), limits)
    const retry = applyCommand(state, put("a", "2", "c", 2), limits)
    expect(retry).toEqual(first)
    expect(state.data.get("a")).toBe("3")
    expect(applyCommand(state, put("a", "9", "c", 1), limits)._tag).toBe("refused")
    expect(answerQuery(state, { _tag: "verify", client: "c", seq: 2 }, limits)).toEqual({ _tag: "applied", applied: true })
    expect(answerQuery(state, { _tag: "verify", client: "c", seq: 3 }, limits)).toEqual({ _tag: "applied", applied: false })
  })

  it("forgets the least recently used session past the limit", () => {
    const state = emptyKvState()
    for (const client of ["a", "b", "c", "d"]) applyCommand(state, put("k", client, client, 1), limits)
    expect([...state.sessions.keys()]).toEqual(["b", "c", "d"])
  })

  it("refuses writes past the size limit without changing anything", () => {
    const state = emptyKvState()
    expect(applyCommand(state, put("big", "x".repeat(997)), limits)._tag).toBe("value")
    expect(applyCommand(state, put("more", "y", "c1", 2), limits)).toMatchObject({ _tag: "refused" })
    expect(state.data.has("more")).toBe(false)
  })

  it("keys are sorted, filtered by prefix and bounded", () => {
    const state = emptyKvState()
    for (const [i, key] of ["b1", "a2", "a1", "a3"].entries()) applyCommand(state, put(key, "v", "c", i + 1), limits)
    expect(answerQuery(state, { _tag: "keys", prefix: "a" }, limits)).toEqual({ _tag: "keys", keys: ["a1", "a2"], truncated: true })
    expect(answerQuery(state, { _tag: "size" }, limits)).toEqual({ _tag: "count", count: 4 })
  })

  it("a snapshot restores data, size and sessions", () => {
    const state = emptyKvState()
    applyCommand(state, put("a", "1", "c", 5), limits)
    const restored = restoreKv(snapshotKv(state))
    expect(restored.data.get("a")).toBe("1")
    expect(restored.totalBytes).toBe(state.totalBytes)
    expect(applyCommand(restored, put("a", "1", "c", 5), limits)).toEqual({ _tag: "value", value: null })
  })

  // Few distinct keys, so writes during a capture hit keys before and after the walk passed them.
  const change = fc.tuple(fc.constantFrom("a", "b", "c", "d", "e", "f"), fc.option(fc.string({ maxLength: 4 })), fc.nat(4))
  type Change = [string, string | null, number]
  const applyChange = (state: KvState, [key, value, client]: Change, seq: number) =>
    applyCommand(state, value === null ? { _tag: "del", key, client: `c${client}`, seq } : put(key, value, `c${client}`, seq), limits)
  const sameState = (restored: KvState, expected: KvState) => {
    const sorted = (state: KvState) => [...state.data].sort(([a], [b]) => a < b ? -1 : a > b ? 1 : 0)
    expect(sorted(restored)).toEqual(sorted(expected))
    expect([...restored.sessions]).toEqual([...expected.sessions]) // in order: it is the eviction order
    expect(restored.totalBytes).toBe(expected.totalBytes)
  }

  it("a capture, serialized in pieces while puts and deletes go on, is the state at capture", () => {
    fc.assert(fc.property(
      fc.array(change, { maxLength: 40 }),
      fc.array(fc.tuple(change, fc.nat(3)), { maxLength: 40 }),
      fc.integer({ min: 1, max: 4 }),
      (before, during, sliceSize) => {
        const state = emptyKvState()
        let seq = 0
        before.forEach((c) => applyChange(state, c, ++seq))
        const expected = restoreKv(snapshotKv(state))
        const capture = captureKv(state, sliceSize)
        let text = ""
        let done = false
        const read = () => {
          const piece = capture.next()
          if (piece === undefined) done = true
          else text += piece
        }
        for (const [c, piecesBetween] of during) {
          applyChange(state, c, ++seq)
          for (let i = 0; i < piecesBetween && !done; i++) read()
        }
        while (!done) read()
        sameState(restoreKv(text), expected)
        expect(state.preImages).toBeUndefined()
      }
    ))
  })

  it("a closed capture stops recording what writes change", () => {
    const state = emptyKvState()
    applyCommand(state, put("a", "1"), limits)
    const capture = captureKv(state, 1)
    capture.next()
    applyCommand(state, put("a", "2", "c1", 2), limits)
    expect(state.preImages).toEqual(new Map([["a", "1"]]))
    capture.close()
    expect(state.preImages).toBeUndefined()
    expect(capture.next()).toBeUndefined()
    applyCommand(state, put("b", "3", "c1", 3), limits)
    expect(state.preImages).toBeUndefined()
  })
})

describe("kv key and value rules", () => {
  const rules = { maxKeyLength: 128, maxValueLength: 2048 }
  it("accepts the contract's keys and values", () => {
    expect(keyProblem("k".repeat(128), rules)).toBeUndefined()
    expect(valueProblem("v".repeat(2048), rules)).toBeUndefined()
    expect(valueProblem("a=b c", rules)).toBeUndefined()
  })
  it("rejects everything else with a reason", () => {
    expect(keyProblem("", rules)).toBe("key is empty")
    expect(keyProblem("k".repeat(129), rules)).toContain("limit is 128")
    expect(keyProblem("a[b", rules)).toContain("[ or ]")
    expect(keyProblem("a=b", rules)).toContain("=")
    expect(valueProblem("v".repeat(2049), rules)).toContain("limit is 2048")
    expect(valueProblem("x]", rules)).toContain("[ or ]")
    expect(valueProblem("tab\there", rules)).toContain("non-printable")
  })
})
