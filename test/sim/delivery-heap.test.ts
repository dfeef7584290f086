import fc from "fast-check"
import { describe, expect, it } from "vitest"
import { DeliveryHeap } from "../../src/sim/delivery-heap.js"

describe("DeliveryHeap", () => {
  it("pops in (deliverAtMs, id) order", () => {
    fc.assert(
      fc.property(fc.array(fc.integer({ min: 0, max: 50 }), { maxLength: 200 }), (times) => {
        const heap = new DeliveryHeap<{ deliverAtMs: number; id: number }>()
        times.forEach((deliverAtMs, id) => heap.push({ deliverAtMs, id }))
        const popped: Array<{ deliverAtMs: number; id: number }> = []
        for (let item = heap.pop(); item !== undefined; item = heap.pop()) popped.push(item)
        const expected = times.map((deliverAtMs, id) => ({ deliverAtMs, id }))
          .sort((a, b) => a.deliverAtMs - b.deliverAtMs || a.id - b.id)
        expect(popped).toEqual(expected)
        expect(heap.size).toBe(0)
      })
    )
  })
})
