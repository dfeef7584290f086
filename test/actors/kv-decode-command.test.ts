import { describe, expect, it } from "@effect/vitest"
import { Arbitrary, Either, FastCheck as fc } from "effect"
import { KvCommand } from "../../actors/kv/commands.js"
import { decodeCommandJson, decodeCommandValue } from "../../actors/kv/decode-command.js"
import { decodeUnknownTotal } from "../../src/wire/total-decode.js"

// Total: Effect's Schema throws on a few inputs (a tag that is an object whose toString is not a function).
const reference = decodeUnknownTotal(KvCommand)
const commandJson = Arbitrary.make(KvCommand).map((command) => JSON.parse(JSON.stringify(command)) as Record<string, unknown>)
const oddValue = fc.oneof(
  fc.jsonValue(),
  fc.constantFrom(0, -1, -0, 1.5, 2 ** 53, "", "c".repeat(64), "c".repeat(65), null, true, "put", "del", "cas")
)
const mutated = fc.tuple(commandJson, fc.constantFrom("_tag", "key", "value", "client", "seq", "expect", "extra"), oddValue, fc.boolean())
  .map(([json, field, value, remove]) => {
    if (remove) delete json[field]
    else json[field] = value
    return json
  })

const expectAgreement = (json: unknown) => {
  const decoded = reference(json)
  if (Either.isRight(decoded)) expect(decodeCommandValue(json)).toEqual(decoded.right)
  else expect(decodeCommandValue(json)).toBeUndefined()
}

describe("KvCommand decoding of log entries", () => {
  it.prop("decodes every valid command exactly as the Schema does", [commandJson], ([json]) => expectAgreement(json), {
    fastCheck: { numRuns: 500 }
  })

  it.prop("accepts and refuses exactly what the Schema does for mutated commands", [mutated], ([json]) => expectAgreement(json), {
    fastCheck: { numRuns: 3000 }
  })

  it("a put keeps only its known fields; text that is not JSON is refused", () => {
    expect(decodeCommandJson(`{"_tag":"put","key":"k","value":"v","seq":2,"client":"c","x":1}`))
      .toEqual({ _tag: "put", key: "k", value: "v", client: "c", seq: 2 })
    expect(decodeCommandJson("{not json")).toBeUndefined()
    expect(decodeCommandValue({ _tag: { toString: 0 }, key: "", value: "" })).toBeUndefined()
  })
})
