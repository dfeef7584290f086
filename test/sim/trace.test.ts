import { describe, expect, it } from "vitest"
import { Trace } from "../../src/sim/trace.js"

describe("Trace", () => {
  it("keeps only the last lines but digests all of them", () => {
    const trace = new Trace(3)
    for (let index = 1; index <= 5; index++) trace.record(`line ${index}`)
    expect(trace.snapshot()).toEqual(["line 3", "line 4", "line 5"])
    expect(trace.totalLines).toBe(5)

    const other = new Trace(3)
    other.record("line X")
    for (let index = 2; index <= 5; index++) other.record(`line ${index}`)
    expect(other.snapshot()).toEqual(trace.snapshot())
    expect(other.digest()).not.toBe(trace.digest())
  })

  it("equal line sequences give equal digests", () => {
    const a = new Trace(10)
    const b = new Trace(2)
    for (const line of ["x", "y", "z"]) {
      a.record(line)
      b.record(line)
    }
    expect(a.digest()).toBe(b.digest())
    expect(a.digest()).toMatch(/^3:[0-9a-f]{16}$/)
  })
})
