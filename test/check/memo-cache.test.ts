import { describe, expect, it } from "@effect/vitest"
import fc from "fast-check"
import { LinearizedSet } from "../../src/check/linearized-set.js"
import { CacheAdd, MemoCache } from "../../src/check/memo-cache.js"
import type { Operation } from "../../src/check/history.js"
import { compileRegisterHistory } from "../../src/check/register-model.js"

/** n puts of distinct values, called in order; every `unknownEvery`-th has an unknown outcome. */
const setOver = (n: number, unknownEvery = 0): LinearizedSet => {
  const operations = Array.from({ length: n }, (_, i): Operation => {
    const unknown = unknownEvery > 0 && i % unknownEvery === 0
    return { client: 1, op: "put", key: "x", value: `v${i}`, call: i, ret: unknown ? null : i + 1000, ok: unknown ? null : true }
  })
  return new LinearizedSet(compileRegisterHistory(operations, operations.map((_, i) => i)))
}

describe("LinearizedSet + MemoCache", () => {
  it("tells new (set, state) pairs from seen ones", () => {
    const set = setOver(200, 7)
    const cache = new MemoCache(64 * 1024 * 1024)
    // Visit the same path twice: every prefix of it is new the first time, known the second.
    for (const pass of [CacheAdd.added, CacheAdd.present]) {
      for (let op = 0; op < 200; op++) {
        set.add(op)
        expect(cache.add(set, op % 3)).toBe(pass)
      }
      for (let op = 199; op >= 0; op--) set.remove(op)
    }
    expect(set.hash).toBe(0)
    // Same set, different state: new.
    set.add(0)
    expect(cache.add(set, 99)).toBe(CacheAdd.added)
    expect(cache.size).toBe(201)
  })

  it("distinguishes sets that differ only inside the window or only in unknown operations", () => {
    const set = setOver(100, 10)
    const cache = new MemoCache(1024 * 1024)
    for (let op = 1; op < 40; op++) set.add(op) // op 0 (unknown) is left out
    expect(cache.add(set, 0)).toBe(CacheAdd.added)
    set.add(0)
    expect(cache.add(set, 0)).toBe(CacheAdd.added)
    set.remove(0)
    set.remove(39)
    set.add(45)
    expect(cache.add(set, 0)).toBe(CacheAdd.added)
    set.remove(45)
    set.add(39)
    expect(cache.add(set, 0)).toBe(CacheAdd.present)
  })

  it("keeps keys small when the linearized operations form a prefix of the calls", () => {
    const set = setOver(10_000)
    for (let op = 0; op < 9_990; op++) set.add(op)
    expect(set.lowWord).toBe(Math.floor(9_990 / 32))
    expect(set.highWord - set.lowWord).toBeLessThanOrEqual(1)
  })

  it("refuses to grow past its byte budget", () => {
    const set = setOver(64)
    const cache = new MemoCache(100 * 1024)
    let added = 0
    let full = false
    for (let state = 0; state < 100_000 && !full; state++) {
      const result = cache.add(set, state)
      if (result === CacheAdd.added) added++
      full = result === CacheAdd.full
    }
    expect(full).toBe(true)
    expect(added).toBeGreaterThan(1000)
    expect(cache.bytes).toBeLessThanOrEqual(100 * 1024)
  })

  it("answers exactly like a naive set of (members, state) on random add/remove walks", () => {
    fc.assert(
      fc.property(
        fc.array(fc.record({ call: fc.integer({ min: 0, max: 50 }), unknown: fc.constantFrom(false, false, false, true) }), {
          minLength: 40,
          maxLength: 150
        }),
        fc.array(fc.tuple(fc.nat(), fc.integer({ min: 0, max: 3 }), fc.integer({ min: 0, max: 1 })), { minLength: 100, maxLength: 800 }),
        (shapes, moves) => {
          const operations = shapes.map(({ call, unknown }, i): Operation => ({
            client: 1, op: "put", key: "x", value: `v${i}`, call, ret: unknown ? null : call + 5, ok: unknown ? null : true
          }))
          const set = new LinearizedSet(compileRegisterHistory(operations, operations.map((_, i) => i)))
          const cache = new MemoCache(64 * 1024 * 1024)
          const naive = new Set<string>()
          const stack: Array<number> = []
          // Like the search, mostly add one of the earliest-called operations not yet in.
          const byCall = operations.map((_, i) => i).sort((a, b) => operations[a]!.call - operations[b]!.call || a - b)
          for (const [pick, move, state] of moves) {
            if (move === 0 && stack.length > 0) {
              set.remove(stack.pop()!)
              continue
            }
            const outside = byCall.filter((i) => !stack.includes(i))
            if (outside.length === 0) continue
            const op = outside[pick % Math.min(outside.length, 2)]!
            set.add(op)
            stack.push(op)
            const key = `${[...stack].sort((a, b) => a - b).join(",")}|${state}`
            const expected = naive.has(key) ? CacheAdd.present : CacheAdd.added
            naive.add(key)
            expect(cache.add(set, state)).toBe(expected)
          }
        }
      ),
      { numRuns: 200 }
    )
  })
})
