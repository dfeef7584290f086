/**
 * The search against a brute-force oracle on tiny random histories: the oracle tries every
 * order consistent with real time and every choice of which unknown operations took effect.
 * Random values from a tiny set and random overlaps make both "yes" and "no" common.
 */
import { describe, expect, it } from "@effect/vitest"
import fc from "fast-check"
import { checkHistory } from "../../src/check/checker.js"
import type { Operation } from "../../src/check/history.js"
import { compileRegisterHistory, REJECT, stepRegister } from "../../src/check/register-model.js"

/** Completed ops must all appear; unknown ones may be left out. Exponential: tiny inputs only. */
const bruteForceLinearizable = (operations: ReadonlyArray<Operation>): boolean => {
  const relevant = operations.filter((op) => op.ok === true || (op.ok === null && op.op !== "get"))
  const history = compileRegisterHistory(relevant, relevant.map((_, i) => i))
  const size = history.size
  const done = new Array<boolean>(size).fill(false)
  const search = (state: number, remainingDefinite: number): boolean => {
    if (remainingDefinite === 0) return true
    for (let op = 0; op < size; op++) {
      if (done[op]) continue
      // op can go next only if no remaining op returned before op was called
      let blocked = false
      for (let other = 0; other < size && !blocked; other++) {
        if (!done[other] && other !== op && history.ret[other]! < history.call[op]!) blocked = true
      }
      if (blocked) continue
      const after = stepRegister(history.kind[op]!, history.observed[op]!, history.written[op]!, state)
      if (after === REJECT) continue
      done[op] = true
      const definite = history.ret[op] !== Infinity ? 1 : 0
      const found = search(after, remainingDefinite - definite)
      done[op] = false
      if (found) return true
    }
    return false
  }
  let definite = 0
  for (let op = 0; op < size; op++) if (history.ret[op] !== Infinity) definite++
  return search(0, definite)
}

const value = fc.constantFrom("a", "b", "c")
const maybeValue = fc.constantFrom<string | null>("a", "b", null)

const operationArbitrary: fc.Arbitrary<Operation> = fc
  .record({
    kind: fc.constantFrom("get", "put", "del", "cas"),
    value,
    expect: maybeValue,
    output: maybeValue,
    casOk: fc.boolean(),
    call: fc.integer({ min: 0, max: 12 }),
    duration: fc.integer({ min: 0, max: 6 }),
    ok: fc.constantFrom<boolean | null>(true, true, true, null, false),
    client: fc.integer({ min: 0, max: 3 })
  })
  .map((r): Operation => {
    const base = { client: r.client, key: "x", call: r.call, ret: r.ok === null ? null : r.call + r.duration, ok: r.ok }
    switch (r.kind) {
      case "get":
        return { ...base, op: "get", output: r.output }
      case "put":
        return { ...base, op: "put", value: r.value, output: r.output }
      case "del":
        return { ...base, op: "del", output: r.output }
      default:
        return { ...base, op: "cas", value: r.value, expect: r.expect, output: String(r.casOk) }
    }
  })

describe("search vs brute force", () => {
  it("agrees on random tiny histories (with unknown and failed operations)", () => {
    let yes = 0
    let no = 0
    fc.assert(
      fc.property(fc.array(operationArbitrary, { minLength: 1, maxLength: 7 }), (operations) => {
        const expected = bruteForceLinearizable(operations)
        const result = checkHistory(operations)
        expected ? yes++ : no++
        expect(result.verdict).toBe(expected ? "yes" : "no")
        // A stale read is a proof of non-linearizability.
        if (result.staleReads > 0) expect(expected).toBe(false)
      }),
      { numRuns: 3000, seed: 4242 }
    )
    // Both answers must be well represented or the comparison proves little.
    expect(yes).toBeGreaterThan(300)
    expect(no).toBeGreaterThan(300)
  })

  it("agrees when many writes have unknown outcomes and reads are mostly correct", () => {
    const unknownHeavy = operationArbitrary.map((op): Operation => op.op === "get" ? op : { ...op, ok: null, ret: null })
    fc.assert(
      fc.property(
        fc.array(fc.oneof(operationArbitrary, unknownHeavy), { minLength: 1, maxLength: 8 }),
        (operations) => {
          expect(checkHistory(operations).verdict).toBe(bruteForceLinearizable(operations) ? "yes" : "no")
        }
      ),
      { numRuns: 2000, seed: 77 }
    )
  })
})
