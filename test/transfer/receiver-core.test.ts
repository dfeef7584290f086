import { describe, expect, it } from "@effect/vitest"
import { openSession, stepSession, type ReceiverLimits, type SessionOutput, type SessionState } from "../../src/transfer/receiver-core.js"
import type { StartMessage } from "../../src/transfer/wire.js"

const limits: ReceiverLimits = { bufSize: 1024, maxFileBytes: 1000, maxFilenameBytes: 255, windowSize: 8 }
const start = (overrides: Partial<StartMessage> = {}): StartMessage => ({ _tag: "Start", seqno0: 0, name: "f.bin", totalBytes: 6, wantsWindow: false, ...overrides })
const bytes = (text: string) => Buffer.from(text)
const tags = (outputs: ReadonlyArray<SessionOutput>) => outputs.map((output) => output._tag)

const opened = (message = start()): SessionState => {
  const opening = openSession(message, limits)
  if (opening._tag !== "Opened") throw new Error(opening.reason)
  return opening.state
}

describe("receiver core", () => {
  it("answers a start with a | seqno0+1 | buf_size and opens the file", () => {
    const opening = openSession(start({ seqno0: 41 }), limits)
    expect(opening).toMatchObject({ _tag: "Opened", outputs: [{ _tag: "Open", name: "f.bin", totalBytes: 6 }, { _tag: "AckStart", nextSeqno: 42, bufSize: 1024 }] })
    if (opening._tag === "Opened") expect(opening.outputs[1]).not.toHaveProperty("window")
  })

  it("grants a window only to a sender that asks, capped by the socket's grant", () => {
    expect(openSession(start({ wantsWindow: true }), limits)).toMatchObject({ outputs: [{}, { window: 8 }] })
    expect(openSession(start({ wantsWindow: true }), limits, 3)).toMatchObject({ outputs: [{}, { window: 3 }] })
  })

  it("refuses bad names and oversize files with a reason", () => {
    expect(openSession(start({ name: "../x" }), limits)).toMatchObject({ _tag: "Refused", reason: expect.stringContaining("..") })
    expect(openSession(start({ totalBytes: 1001 }), limits)).toMatchObject({ _tag: "Refused", reason: expect.stringContaining("limit") })
  })

  it("finishes a zero-byte file at once: open, commit, then ack", () => {
    const opening = openSession(start({ totalBytes: 0 }), limits)
    expect(opening._tag === "Opened" && tags(opening.outputs)).toEqual(["Open", "Commit", "AckStart"])
    expect(opening._tag === "Opened" && opening.state.phase).toBe("finished")
  })

  it("writes in-order data at the right offsets, commits before the last ack", () => {
    let state = opened()
    const first = stepSession(state, { _tag: "Data", seqno: 1, bytes: bytes("abc") }, limits)
    expect(first.outputs).toEqual([{ _tag: "Write", offset: 0, bytes: bytes("abc") }, { _tag: "AckData", nextSeqno: 2 }])
    state = first.state
    const last = stepSession(state, { _tag: "Data", seqno: 2, bytes: bytes("def") }, limits)
    expect(tags(last.outputs)).toEqual(["Write", "Commit", "AckData"])
    expect(last.outputs[0]).toMatchObject({ offset: 3 })
    expect(last.state.phase).toBe("finished")
  })

  it("acks a duplicate without writing it again, also after finishing", () => {
    const once = stepSession(opened(), { _tag: "Data", seqno: 1, bytes: bytes("abc") }, limits).state
    expect(stepSession(once, { _tag: "Data", seqno: 1, bytes: bytes("abc") }, limits).outputs).toEqual([{ _tag: "AckData", nextSeqno: 2 }])
    const done = stepSession(once, { _tag: "Data", seqno: 2, bytes: bytes("def") }, limits).state
    expect(stepSession(done, { _tag: "Data", seqno: 2, bytes: bytes("def") }, limits).outputs).toEqual([{ _tag: "AckData", nextSeqno: 3 }])
  })

  it("ignores out-of-window, empty and oversize data in stop-and-wait", () => {
    const state = opened()
    for (const input of [
      { seqno: 2, bytes: bytes("x") },
      { seqno: 0, bytes: bytes("x") },
      { seqno: 1, bytes: bytes("") },
      { seqno: 1, bytes: bytes("1234567") }
    ]) {
      const step = stepSession(state, { _tag: "Data", ...input }, limits)
      expect(tags(step.outputs)).toEqual(["Ignored"])
      expect(step.state).toBe(state)
    }
  })

  it("in windowed mode answers a gap with the current next seqno (go-back-N)", () => {
    const state = opened(start({ wantsWindow: true }))
    expect(stepSession(state, { _tag: "Data", seqno: 3, bytes: bytes("x") }, limits).outputs).toEqual([{ _tag: "AckData", nextSeqno: 1 }])
    expect(tags(stepSession(state, { _tag: "Data", seqno: 9, bytes: bytes("x") }, limits).outputs)).toEqual(["Ignored"])
  })

  it("re-answers a repeated start, ignores a different one", () => {
    const state = stepSession(opened(), { _tag: "Data", seqno: 1, bytes: bytes("abc") }, limits).state
    expect(stepSession(state, { _tag: "Start", start: start() }, limits).outputs).toEqual([{ _tag: "AckStart", nextSeqno: 1, bufSize: 1024 }])
    expect(tags(stepSession(state, { _tag: "Start", start: start({ name: "other" }) }, limits).outputs)).toEqual(["Ignored"])
  })

  it("expiry aborts an unfinished session and just closes a finished one", () => {
    expect(tags(stepSession(opened(), { _tag: "Expired" }, limits).outputs)).toEqual(["Abort", "Close"])
    const done = openSession(start({ totalBytes: 0 }), limits)
    if (done._tag !== "Opened") throw new Error("refused")
    expect(tags(stepSession(done.state, { _tag: "Expired" }, limits).outputs)).toEqual(["Close"])
  })
})
