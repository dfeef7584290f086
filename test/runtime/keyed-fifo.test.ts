/**
 * KeyedFifo against a Map: any sequence of pushes (increasing keys), takes (front, middle,
 * missing), takeFrom and clears leaves the same entries in the same order; the front is always
 * live; and a slot taken is cleared at once (nothing taken stays reachable from the ring).
 */
import { describe, expect, it } from "@effect/vitest"
import fc from "fast-check"
import { KeyedFifo } from "../../src/runtime/keyed-fifo.js"

type Op =
  | { readonly _tag: "push"; readonly gap: number }
  | { readonly _tag: "take"; readonly pick: number }
  | { readonly _tag: "takeFrom"; readonly pick: number }
  | { readonly _tag: "clear" }

const op: fc.Arbitrary<Op> = fc.oneof(
  { weight: 6, arbitrary: fc.record({ _tag: fc.constant("push" as const), gap: fc.integer({ min: 1, max: 3 }) }) },
  { weight: 5, arbitrary: fc.record({ _tag: fc.constant("take" as const), pick: fc.nat() }) },
  { weight: 1, arbitrary: fc.record({ _tag: fc.constant("takeFrom" as const), pick: fc.nat() }) },
  { weight: 1, arbitrary: fc.constant({ _tag: "clear" as const }) }
)

describe("KeyedFifo", () => {
  it("behaves as a Map with increasing keys, front first", () => {
    fc.assert(fc.property(fc.array(op, { maxLength: 400 }), fc.integer({ min: 1, max: 8 }), (ops, initialCapacity) => {
      const fifo = new KeyedFifo<{ key: number }>(initialCapacity)
      const model = new Map<number, { key: number }>()
      let lastKey = 0
      for (const next of ops) {
        const keys = [...model.keys()]
        switch (next._tag) {
          case "push": {
            lastKey += next.gap
            const value = { key: lastKey }
            fifo.push(lastKey, value)
            model.set(lastKey, value)
            break
          }
          case "take": {
            // Mostly an existing key (front or middle), sometimes one that is not there.
            const key = keys.length > 0 && next.pick % 4 !== 3 ? keys[next.pick % keys.length]! : lastKey + 1 + (next.pick % 3)
            expect(fifo.take(key)).toEqual(model.get(key))
            model.delete(key)
            expect(fifo.take(key)).toBeUndefined()
            break
          }
          case "takeFrom": {
            const key = keys.length > 0 ? keys[next.pick % keys.length]! : 1
            const expected = keys.filter((k) => k >= key).map((k) => [k, model.get(k)!] as const)
            expect(fifo.takeFrom(key)).toEqual(expected)
            for (const [k] of expected) model.delete(k)
            break
          }
          case "clear":
            fifo.clear()
            model.clear()
            break
        }
        expect(fifo.size).toBe(model.size)
        expect(fifo.entries()).toEqual([...model.entries()])
        expect(fifo.firstKey()).toBe([...model.keys()][0])
        expect(fifo.firstValue()).toEqual([...model.values()][0])
        for (const [k, v] of model) expect(fifo.get(k)).toBe(v)
      }
    }))
  })

  it("refuses a key that is not above the last one", () => {
    const fifo = new KeyedFifo<object>()
    fifo.push(5, {})
    expect(() => fifo.push(5, {})).toThrow(RangeError)
    expect(() => fifo.push(3, {})).toThrow(RangeError)
  })

  it("keeps no reference to a taken value, nor in the ring it outgrew", () => {
    const fifo = new KeyedFifo<{ key: number }>(4)
    const taken = { key: 1 }
    fifo.push(1, taken)
    const firstRing = (fifo as unknown as { values: Array<unknown> }).values
    for (let key = 2; key <= 5; key++) fifo.push(key, { key })
    fifo.take(3)
    const ring = (fifo as unknown as { values: Array<unknown> }).values
    expect(ring).not.toBe(firstRing)
    expect(firstRing.every((value) => value === undefined)).toBe(true)
    fifo.take(1)
    expect(ring.includes(taken)).toBe(false)
    expect(ring.filter((value) => value !== undefined)).toHaveLength(3)
  })

  it("a slow entry at the front does not make the ring grow without bound", () => {
    const fifo = new KeyedFifo<object>(8)
    fifo.push(0, {})
    for (let key = 1; key <= 10_000; key++) {
      fifo.push(key, {})
      fifo.take(key)
    }
    expect(fifo.size).toBe(1)
    expect((fifo as unknown as { keys: Array<number> }).keys.length).toBeLessThanOrEqual(8)
  })
})
