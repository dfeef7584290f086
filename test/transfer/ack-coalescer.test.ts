/** When a receiver session sends its acks to data: every N-th at once, the rest at the end of a burst. */
import { describe, expect, it } from "@effect/vitest"
import { ackEveryFor, makeAckCoalescer } from "../../src/transfer/ack-coalescer.js"

describe("ack coalescer", () => {
  it("stop-and-wait sends every ack at once", () => {
    const acks = makeAckCoalescer(ackEveryFor(1))
    expect([2, 3, 3, 4].map(acks.note)).toEqual([2, 3, 3, 4])
    expect(acks.holding()).toBe(false)
    expect(acks.flush()).toBeUndefined()
  })

  it("windowed sends every N-th ack at once and holds the latest of the rest until flushed", () => {
    const acks = makeAckCoalescer(4)
    expect([2, 3, 4, 5, 6, 7].map(acks.note)).toEqual([undefined, undefined, undefined, 5, undefined, undefined])
    expect(acks.holding()).toBe(true)
    expect(acks.flush()).toBe(7)
    expect(acks.flush()).toBeUndefined()
    // A flush starts the count afresh.
    expect([8, 9, 10, 11].map(acks.note)).toEqual([undefined, undefined, undefined, 11])
  })

  it("a repeated ack (data past a gap, or a duplicate) goes out at once, releasing what was held", () => {
    const acks = makeAckCoalescer(4)
    expect([5, 5, 5, 5].map(acks.note)).toEqual([undefined, 5, 5, 5])
    expect(acks.holding()).toBe(false)
    // In-order progress is coalesced again afterwards.
    expect([6, 7, 8, 9].map(acks.note)).toEqual([undefined, undefined, undefined, 9])
  })

  it("answers a window with about four acks", () => {
    expect([1, 2, 3, 4, 8, 64, 100].map(ackEveryFor)).toEqual([1, 1, 1, 1, 2, 16, 25])
  })
})
