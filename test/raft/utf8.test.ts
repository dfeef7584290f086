import { describe, expect, it } from "@effect/vitest"
import { FastCheck as fc } from "effect"
import { utf8Bytes } from "../../src/raft/utf8.js"

describe("utf8Bytes", () => {
  it.prop("equals Buffer.byteLength for any string, lone surrogates included",
    [fc.oneof(fc.string(), fc.fullUnicodeString(), fc.string16bits())],
    ([text]) => {
      expect(utf8Bytes(text)).toBe(Buffer.byteLength(text, "utf8"))
    }, { fastCheck: { numRuns: 2000 } })

  it("counts 1, 2, 3 and 4-byte characters", () => {
    expect(utf8Bytes("a\u00e9\u20ac\u{1F600}")).toBe(1 + 2 + 3 + 4)
    expect(utf8Bytes("\ud800")).toBe(3)
    expect(utf8Bytes("")).toBe(0)
  })
})
