import { describe, expect, it } from "@effect/vitest"
import fc from "fast-check"
import { decodeMessage, encodeAck, encodeData, encodeStart } from "../../src/transfer/wire.js"

const text = (bytes: Uint8Array) => Buffer.from(bytes).toString("latin1")

describe("wire", () => {
  it("encodes exactly the lab formats", () => {
    expect(text(encodeStart({ seqno0: 0, name: "file1.jpg", totalBytes: 1234, wantsWindow: false }))).toBe("s | 0 | file1.jpg | 1234")
    expect(text(encodeStart({ seqno0: 0, name: "f", totalBytes: 9, wantsWindow: true }))).toBe("s | 0 | f | 9 ")
    expect(text(encodeAck({ nextSeqno: 1, bufSize: 1024 }))).toBe("a | 1 | 1024")
    expect(text(encodeAck({ nextSeqno: 1, bufSize: 1024, window: 64 }))).toBe("a | 1 | 1024 | 64")
    expect(text(encodeAck({ nextSeqno: 7 }))).toBe("a | 7")
    expect(text(encodeData(12, Buffer.from("xy")))).toBe("d | 12 | xy")
  })

  it("keeps data bytes raw, delimiters and all", () => {
    const payload = Buffer.from("a | b | \x00\xff | ", "latin1")
    const decoded = decodeMessage(encodeData(3, payload))
    expect(decoded._tag).toBe("Data")
    if (decoded._tag !== "Data") return
    expect(decoded.seqno).toBe(3)
    expect(Buffer.from(decoded.bytes).equals(payload)).toBe(true)
  })

  it("decodes starts, including the window request and UTF-8 names", () => {
    expect(decodeMessage(Buffer.from("s | 5 | résumé.txt | 42"))).toEqual({ _tag: "Start", seqno0: 5, name: "résumé.txt", totalBytes: 42, wantsWindow: false })
    expect(decodeMessage(Buffer.from("s | 0 | f | 42 "))).toMatchObject({ _tag: "Start", wantsWindow: true })
  })

  it("decodes the three ack shapes", () => {
    expect(decodeMessage(Buffer.from("a | 2"))).toEqual({ _tag: "Ack", nextSeqno: 2 })
    expect(decodeMessage(Buffer.from("a | 1 | 1024"))).toEqual({ _tag: "Ack", nextSeqno: 1, bufSize: 1024 })
    expect(decodeMessage(Buffer.from("a | 1 | 1024 | 8"))).toEqual({ _tag: "Ack", nextSeqno: 1, bufSize: 1024, window: 8 })
  })

  it.each([
    ["", "no message type"],
    ["x | 1 | 2", "unknown message type"],
    ["d | -1 | x", "sequence number"],
    ["d | 1", "ends after"],
    ["s | 0 | name", "without a size"],
    ["s | 0 | name | 12x", "size"],
    ["s | 0 | a | b | 3", "size"],
    ["a | 1 | 2 | 3 | 4", "too many"],
    ["a | 1 | ", "not a decimal"],
    ["d | 1234567890123456 | x", "sequence number"]
  ])("refuses %j", (input, reason) => {
    const decoded = decodeMessage(Buffer.from(input, "latin1"))
    expect(decoded._tag).toBe("Malformed")
    if (decoded._tag === "Malformed") expect(decoded.reason).toContain(reason)
  })

  it("refuses a name that is not UTF-8", () => {
    expect(decodeMessage(Buffer.concat([Buffer.from("s | 0 | "), Buffer.from([0xc3, 0x28]), Buffer.from(" | 5")]))).toMatchObject({ _tag: "Malformed" })
  })

  it("never throws on arbitrary bytes, and round-trips data", () => {
    fc.assert(fc.property(fc.uint8Array({ maxLength: 64 }), (bytes) => {
      expect(["Start", "Data", "Ack", "Malformed"]).toContain(decodeMessage(bytes)._tag)
    }), { numRuns: 2000 })
    fc.assert(fc.property(fc.nat(), fc.uint8Array({ maxLength: 200 }), (seqno, payload) => {
      const decoded = decodeMessage(encodeData(seqno, payload))
      expect(decoded).toMatchObject({ _tag: "Data", seqno })
      if (decoded._tag === "Data") expect(Buffer.from(decoded.bytes).equals(Buffer.from(payload))).toBe(true)
    }))
  })
})
