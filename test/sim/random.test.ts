import { describe, expect, it } from "vitest"
import { hashString32, mulberry32Next, normalizeSeed, Prng } from "../../src/sim/random.js"

/** The widely published mulberry32 (Tommy Ettinger), restated here as an independent reference. */
const referenceMulberry32 = (seed: number) => {
  let a = seed >>> 0
  return () => {
    a = (a + 0x6d2b79f5) >>> 0
    let t = a
    t = Math.imul(t ^ (t >>> 15), t | 1)
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61)
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296
  }
}

describe("Prng", () => {
  it("matches the reference mulberry32 stream", () => {
    for (const seed of [0, 1, 42, 0xdeadbeef]) {
      const reference = referenceMulberry32(seed)
      const prng = new Prng(seed)
      for (let index = 0; index < 100; index++) expect(prng.nextFloat()).toBe(reference())
    }
  })

  it("the pure step and the wrapper agree", () => {
    let state = normalizeSeed(7)
    const prng = new Prng(7)
    for (let index = 0; index < 20; index++) {
      const step = mulberry32Next(state)
      state = step.state
      expect(prng.nextUint32()).toBe(step.value)
    }
  })

  it("same seed gives the same sequence, a different seed a different one", () => {
    const draw = (seed: number | string) => {
      const prng = new Prng(seed)
      return Array.from({ length: 50 }, () => prng.nextUint32())
    }
    expect(draw(123)).toEqual(draw(123))
    expect(draw("run-a")).toEqual(draw("run-a"))
    expect(draw(123)).not.toEqual(draw(124))
    expect(draw("run-a")).not.toEqual(draw("run-b"))
  })

  it("nextIntBetween stays in range and covers it evenly", () => {
    const prng = new Prng(99)
    const counts = new Map<number, number>()
    const draws = 60_000
    for (let index = 0; index < draws; index++) {
      const value = prng.nextIntBetween(3, 8)
      counts.set(value, (counts.get(value) ?? 0) + 1)
    }
    expect([...counts.keys()].sort()).toEqual([3, 4, 5, 6, 7, 8])
    for (const count of counts.values()) expect(Math.abs(count - draws / 6)).toBeLessThan(draws / 6 * 0.05)
    expect(prng.nextIntBetween(5, 5)).toBe(5)
  })

  it("chance follows its probability", () => {
    const prng = new Prng(5)
    let hits = 0
    for (let index = 0; index < 20_000; index++) if (prng.chance(0.25)) hits++
    expect(hits / 20_000).toBeGreaterThan(0.23)
    expect(hits / 20_000).toBeLessThan(0.27)
    expect(new Prng(1).chance(0)).toBe(false)
    expect(new Prng(1).chance(1)).toBe(true)
  })

  it("fork gives independent labelled streams without advancing the parent", () => {
    const parent = new Prng(11)
    const before = parent.currentState
    const first = parent.fork("n1")
    const second = parent.fork("n2")
    expect(parent.currentState).toBe(before)
    expect(first.nextUint32()).not.toBe(second.nextUint32())
    expect(new Prng(11).fork("n1").nextUint32()).toBe(new Prng(11).fork("n1").nextUint32())
  })

  it("hashString32 is FNV-1a", () => {
    expect(hashString32("")).toBe(0x811c9dc5)
    expect(hashString32("a")).toBe(0xe40c292c)
  })
})
