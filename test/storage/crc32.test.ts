import { describe, expect, it } from "@effect/vitest"
import * as fc from "fast-check"
import { crc32, crc32ByTable } from "../../src/storage/crc32.js"

const ascii = (text: string) => new TextEncoder().encode(text)

describe("crc32", () => {
  it("matches the standard check values", () => {
    expect(crc32(ascii("123456789"))).toBe(0xcbf43926)
    expect(crc32(ascii(""))).toBe(0)
    expect(crc32(ascii("The quick brown fox jumps over the lazy dog"))).toBe(0x414fa339)
  })

  it("continues a running checksum across split points", () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 200 }), fc.nat(), (bytes, cut) => {
        const split = bytes.length === 0 ? 0 : cut % (bytes.length + 1)
        expect(crc32(bytes, split, bytes.length, crc32(bytes, 0, split))).toBe(crc32(bytes))
      })
    )
  })

  it("nothing to add gives back the seed, whatever the empty view", () => {
    const empty = Buffer.from("", "utf8")
    for (const view of [empty, empty.subarray(0, 0), new Uint8Array(0), ascii("abc").subarray(1, 1)]) expect(crc32(view, 0, view.length, 123)).toBe(123)
    expect(crc32(ascii("abc"), 2, 2, 77)).toBe(77)
  })

  it("the table-driven fallback and the runtime's checksum agree", () => {
    expect(crc32ByTable(ascii("123456789"))).toBe(0xcbf43926)
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 300 }), fc.nat(), fc.nat(), fc.nat(), (bytes, a, b, seed) => {
        const start = a % (bytes.length + 1)
        const end = start + (b % (bytes.length - start + 1))
        expect(crc32(bytes, start, end, seed)).toBe(crc32ByTable(bytes, start, end, seed))
      })
    )
  })

  it("detects every single-bit flip", () => {
    const bytes = ascii("raft log record payload")
    const original = crc32(bytes)
    for (let bit = 0; bit < bytes.length * 8; bit++) {
      const flipped = bytes.slice()
      flipped[bit >> 3]! ^= 1 << (bit & 7)
      expect(crc32(flipped)).not.toBe(original)
    }
  })
})
