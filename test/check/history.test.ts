import { describe, expect, it } from "@effect/vitest"
import { Either, Schema } from "effect"
import fc from "fast-check"
import {
  HistoryOperation,
  type HistoryParseError,
  isHistoryOperation,
  type Operation,
  parseHistory
} from "../../src/check/history.js"
import { defaultCheckLimits } from "../../src/check/limits.js"

const parseError = (text: string, limits = defaultCheckLimits()): HistoryParseError => {
  const parsed = parseHistory(text, limits)
  if (Either.isRight(parsed)) throw new Error("expected a parse error")
  return parsed.left
}

describe("parseHistory", () => {
  it("reads every operation kind, keeps line numbers, skips blank lines and ignores extra fields", () => {
    const text = [
      `{"client":1,"op":"put","key":"x","value":"a","output":null,"call":0,"ret":1,"ok":true}`,
      ``,
      `{"client":"c2","op":"get","key":"x","output":"a","call":2,"ret":3,"ok":true,"index":7}`,
      `{"client":1,"op":"cas","key":"x","expect":"a","value":"b","output":"true","call":4,"ret":5,"ok":true}`,
      `{"client":1,"op":"del","key":"x","call":6,"ret":null,"ok":null}`,
      `{"client":1,"op":"put","key":"x","value":"z","call":6,"ok":false}`,
      ``
    ].join("\n")
    const parsed = Either.getOrThrow(parseHistory(text))
    expect(parsed.map((op) => [op.op, op.line])).toEqual([["put", 1], ["get", 3], ["cas", 4], ["del", 5], ["put", 6]])
    const second: Operation = parsed[1]!
    expect(second).toEqual({ client: "c2", op: "get", key: "x", output: "a", call: 2, ret: 3, ok: true, line: 3 })
  })

  it("names the line of invalid JSON", () => {
    const error = parseError(`{"client":1,"op":"get","key":"x","output":null,"call":0,"ret":1,"ok":true}\n{nope`)
    expect(error.line).toBe(2)
    expect(error.message).toMatch(/^line 2: not valid JSON/)
  })

  it("names the line and field of a schema mismatch", () => {
    const error = parseError(`{"client":1,"op":"inc","key":"x","call":0,"ret":1,"ok":true}`)
    expect(error.line).toBe(1)
    expect(error.problem).toContain("op")
  })

  it.each([
    [`{"client":1,"op":"get","key":"x","call":0,"ret":1,"ok":true}`, "a completed get needs an output"],
    [`{"client":1,"op":"put","key":"x","value":"a","call":0,"ret":null,"ok":true}`, "needs a numeric ret"],
    [`{"client":1,"op":"put","key":"x","value":"a","call":5,"ret":1,"ok":true}`, "ret 1 is before call 5"],
    [`{"client":1,"op":"put","key":"x","call":0,"ret":1,"ok":true}`, "put needs a string value"],
    [`{"client":1,"op":"del","key":"x","value":"a","call":0,"ret":1,"ok":true}`, "del takes no value"],
    [`{"client":1,"op":"cas","key":"x","value":"a","call":0,"ret":1,"ok":true,"output":"true"}`, "cas needs expect"],
    [`{"client":1,"op":"cas","key":"x","value":"a","expect":null,"call":0,"ret":1,"ok":true,"output":"yes"}`, `"true" or "false"`]
  ])("rejects inconsistent operations: %s", (line, problem) => {
    const error = parseError(`\n${line}`)
    expect(error.line).toBe(2)
    expect(error.problem).toContain(problem)
  })

  it("enforces the line, key, value and operation-count limits", () => {
    const limits = { ...defaultCheckLimits(), maxKeyLength: 3, maxValueLength: 4, maxLineChars: 200, maxOperations: 2 }
    const line = (key: string, value: string) =>
      `{"client":1,"op":"put","key":"${key}","value":"${value}","output":null,"call":0,"ret":1,"ok":true}`
    expect(parseError(line("long", "a"), limits).problem).toBe("key longer than 3 characters")
    expect(parseError(line("k", "12345"), limits).problem).toBe("value longer than 4 characters")
    expect(parseError(line("k", "a") + " ".repeat(200), limits).problem).toBe("longer than 200 characters")
    const error = parseError([line("a", "1"), line("b", "2"), line("c", "3")].join("\n"), limits)
    expect([error.line, error.problem]).toEqual([3, "more than 2 operations"])
  })

  it("its fast shape check agrees with the schema", () => {
    const anything = fc.oneof(
      fc.constant(undefined), fc.constant(null), fc.boolean(), fc.string({ maxLength: 3 }),
      fc.double(), fc.integer(), fc.constantFrom("get", "put", "del", "cas", "inc"), fc.array(fc.integer(), { maxLength: 1 })
    )
    const fieldNames = ["client", "op", "key", "value", "expect", "output", "call", "ret", "ok"] as const
    const mostlyValid = fc.record({
      client: fc.oneof(fc.integer(), fc.string(), anything),
      op: fc.oneof(fc.constantFrom("get", "put", "del", "cas"), anything),
      key: fc.oneof(fc.string(), anything),
      value: fc.oneof(fc.string(), fc.constant(null), anything),
      expect: fc.oneof(fc.string(), fc.constant(null), anything),
      output: fc.oneof(fc.string(), fc.constant(null), anything),
      call: fc.oneof(fc.integer(), anything),
      ret: fc.oneof(fc.integer(), fc.constant(null), anything),
      ok: fc.oneof(fc.boolean(), fc.constant(null), anything)
    }, { requiredKeys: ["client", "op", "key", "call", "ok"] })
    const withHoles = fc.tuple(mostlyValid, fc.subarray([...fieldNames], { maxLength: 1 })).map(([record, drop]) => {
      const copy: Record<string, unknown> = { ...record }
      for (const name of drop) delete copy[name]
      return copy
    })
    const is = Schema.is(HistoryOperation)
    const seen = { valid: 0, invalid: 0 }
    fc.assert(
      fc.property(fc.oneof(withHoles, anything), (json) => {
        const valid = is(json)
        valid ? seen.valid++ : seen.invalid++
        expect(isHistoryOperation(json)).toBe(valid)
      }),
      { numRuns: 5000 }
    )
    expect(seen.valid).toBeGreaterThan(50)
    expect(seen.invalid).toBeGreaterThan(200)
  })
})
