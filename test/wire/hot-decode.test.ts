import { describe, expect, it } from "@effect/vitest"
import { Arbitrary, Either, FastCheck as fc, Schema } from "effect"
import { AppendEntries, AppendEntriesResponse } from "../../src/raft/messages.js"
import { decodeHotMessage } from "../../src/wire/hot-decode.js"
import { PeerMessage } from "../../src/wire/messages.js"

const schemaDecode = Schema.decodeUnknownEither(PeerMessage)
const hotArb = fc.oneof(Arbitrary.make(AppendEntries), Arbitrary.make(AppendEntriesResponse))
  .map((message) => JSON.parse(JSON.stringify(message)) as Record<string, unknown>)

/** Values a peer could put in any field: wrong types, edge numbers, edge string lengths. */
const oddValue = fc.oneof(
  fc.jsonValue(),
  fc.constantFrom(-1, -0, 0.5, 2 ** 53, Number.MAX_SAFE_INTEGER, "", "x".repeat(300), "x".repeat(301), "noop", "command", null, true, [], {})
)

/** Replaces one field (of the message or of one entry), deletes it, or adds an extra one. */
const mutated = fc.tuple(hotArb, fc.nat(), fc.nat(), oddValue, fc.constantFrom("replace", "delete", "extra")).map(
  ([message, fieldPick, entryPick, value, how]) => {
    const entries = message.entries as Array<Record<string, unknown>> | undefined
    const target = entries !== undefined && entries.length > 0 && fieldPick % 3 === 0 ? entries[entryPick % entries.length]! : message
    const keys = Object.keys(target).filter((key) => key !== "_tag")
    const key = keys[fieldPick % keys.length]!
    if (how === "delete") delete target[key]
    else if (how === "extra") target.unexpected = value
    else target[key] = value
    return message
  }
)

/** Both decoders accept the same inputs and build equal values. */
const expectAgreement = (json: unknown) => {
  const hot = decodeHotMessage(json)
  const reference = schemaDecode(json)
  if (Either.isRight(reference)) expect(hot).toEqual(reference.right)
  else expect(hot).toBeUndefined()
}

describe("hot-path decoder for AppendEntries and its response", () => {
  it.prop("decodes every valid message exactly as the Schema does", [hotArb], ([json]) => expectAgreement(json), { fastCheck: { numRuns: 500 } })

  it.prop("accepts and refuses exactly what the Schema does for mutated messages", [mutated], ([json]) => expectAgreement(json), {
    fastCheck: { numRuns: 3000 }
  })

  it("keeps only the known fields, in Schema order", () => {
    const json = {
      _tag: "AppendEntries", readRound: 0, leaderCommit: 1, entries: [{ data: "d", kind: "noop", index: 2, term: 1, extra: 1 }],
      prevLogTerm: 1, prevLogIndex: 1, leader: "a:1", term: 1, extra: true
    }
    const decoded = decodeHotMessage(json)
    expect(decoded).toEqual({
      _tag: "AppendEntries", term: 1, leader: "a:1", prevLogIndex: 1, prevLogTerm: 1,
      entries: [{ term: 1, index: 2, kind: "noop", data: "d" }], leaderCommit: 1, readRound: 0
    })
    expect(Object.keys(decoded!)).toEqual(["_tag", "term", "leader", "prevLogIndex", "prevLogTerm", "entries", "leaderCommit", "readRound"])
  })

  it("leaves every other message to the Schema", () => {
    expect(decodeHotMessage({ _tag: "Ping", seq: 1, sentAtMs: 2 })).toBeUndefined()
    expect(decodeHotMessage([{ _tag: "AppendEntries" }])).toBeUndefined()
    expect(decodeHotMessage(null)).toBeUndefined()
  })
})
