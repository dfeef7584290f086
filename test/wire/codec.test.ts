import { describe, expect, it } from "@effect/vitest"
import { Arbitrary, FastCheck as fc, Schema } from "effect"
import {
  decodePeerMessageJson,
  encodePeerMessageJson,
  encodesAsItself,
  jsonDecoder,
  jsonEncoder
} from "../../src/wire/codec.js"
import { PeerMessage } from "../../src/wire/messages.js"

const finiteOnly = (value: unknown): boolean => {
  if (typeof value === "number") return Number.isFinite(value) && !Object.is(value, -0)
  if (typeof value === "object" && value !== null) return Object.values(value).every(finiteOnly)
  return true
}
const messageArb = Arbitrary.make(PeerMessage).filter(finiteOnly)
const encodeSync = Schema.encodeSync(PeerMessage)

describe("PeerMessage JSON codec", () => {
  it("PeerMessage encodes as itself, so the fast path applies", () => {
    expect(encodesAsItself(PeerMessage.ast)).toBe(true)
  })

  it.prop("the fast path writes exactly the JSON of Schema.encodeSync, and decodes back", [messageArb], ([message]) => {
    const json = encodePeerMessageJson(message)
    expect(json).toBe(JSON.stringify(encodeSync(message)))
    expect(decodePeerMessageJson(json)).toEqual(message)
  })

  it.prop("decoding any text never throws", [fc.oneof(fc.string(), fc.json())], ([text]) => {
    const decoded = decodePeerMessageJson(text)
    if (decoded !== undefined) expect(Schema.is(PeerMessage)(decoded)).toBe(true)
  })

  it("schemas with a transformation take the full encode, and refuse invalid values", () => {
    const Stamped = Schema.Struct({ at: Schema.Date, count: Schema.NumberFromString })
    expect(encodesAsItself(Stamped.ast)).toBe(false)
    const encode = jsonEncoder(Stamped)
    const json = encode({ at: new Date(0), count: 3 })
    expect(JSON.parse(json)).toEqual({ at: "1970-01-01T00:00:00.000Z", count: "3" })
    expect(jsonDecoder(Stamped)(json)).toEqual({ at: new Date(0), count: 3 })
    expect(() => encode({ at: new Date(Number.NaN), count: 1 })).toThrow(/not a valid message/)
  })
})
