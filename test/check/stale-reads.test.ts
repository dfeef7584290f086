import { describe, expect, it } from "@effect/vitest"
import type { Operation } from "../../src/check/history.js"
import { countStaleReads } from "../../src/check/stale-reads.js"

const op = (fields: Partial<Operation> & Pick<Operation, "op" | "call">): Operation => ({
  client: 1,
  key: "x",
  ret: fields.call + 1,
  ok: true,
  ...fields
})

describe("countStaleReads", () => {
  it("counts a read of a value overwritten before the read began", () => {
    const history = [
      op({ op: "put", value: "a", output: null, call: 0 }),
      op({ op: "put", value: "b", output: "a", call: 2 }),
      op({ op: "get", output: "a", call: 4 }),
      op({ op: "get", output: "a", call: 6 }),
      op({ op: "get", output: "b", call: 8 })
    ]
    expect(countStaleReads(history)).toBe(2)
  })

  it("counts reading absent after a completed put", () => {
    expect(countStaleReads([op({ op: "put", value: "a", call: 0 }), op({ op: "get", output: null, call: 2 })])).toBe(1)
  })

  it("does not count when the overwrite overlaps the read", () => {
    const history = [
      op({ op: "put", value: "a", call: 0 }),
      op({ op: "put", value: "b", call: 2, ret: 10 }),
      op({ op: "get", output: "a", call: 5 })
    ]
    expect(countStaleReads(history)).toBe(0)
  })

  it("does not count when the overwrite overlaps the write of the value (their order is open)", () => {
    const history = [
      op({ op: "put", value: "a", call: 0, ret: 5 }),
      op({ op: "put", value: "b", call: 1, ret: 3 }),
      op({ op: "get", output: "a", call: 6 })
    ]
    expect(countStaleReads(history)).toBe(0)
  })

  it("does not count when any producer of the value may still take effect", () => {
    const history = [
      op({ op: "put", value: "a", call: 0 }),
      op({ op: "put", value: "b", call: 2 }),
      op({ op: "put", value: "a", call: 3, ret: null, ok: null }),
      op({ op: "get", output: "a", call: 6 })
    ]
    expect(countStaleReads(history)).toBe(0)
  })

  it("treats del as writing absent, failed cas and failed operations as not writing", () => {
    const history = [
      op({ op: "put", value: "a", call: 0 }),
      op({ op: "del", output: "a", call: 2 }),
      op({ op: "cas", expect: "zz", value: "c", output: "false", call: 4 }),
      op({ op: "put", value: "d", call: 4, ok: false }),
      op({ op: "get", output: "a", call: 6 }),
      op({ op: "get", output: null, call: 8 })
    ]
    expect(countStaleReads(history)).toBe(1)
  })

  it("does not count phantom values (nobody wrote them) or reads of unknown outcome", () => {
    const history = [
      op({ op: "put", value: "a", call: 0 }),
      op({ op: "get", output: "never-written", call: 2 }),
      op({ op: "get", output: null, call: 4, ok: null, ret: null })
    ]
    expect(countStaleReads(history)).toBe(0)
  })
})
