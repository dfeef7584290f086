import { describe, expect, it } from "@effect/vitest"
import fc from "fast-check"
import { openSession, stepSession, type ReceiverLimits, type SessionState } from "../../src/transfer/receiver-core.js"
import { initSender, layoutFor, stepSender, type SenderOutput, type SenderPlan, type SenderState } from "../../src/transfer/sender-core.js"
import { dataHeaderBytes, type AckMessage } from "../../src/transfer/wire.js"

const plan = (overrides: Partial<SenderPlan> = {}): SenderPlan => ({ seqno0: 0, name: "f", totalBytes: 2500, triesPerMessage: 5, window: 1, ...overrides })
const ack = (nextSeqno: number, bufSize?: number, window?: number): { _tag: "Ack"; ack: AckMessage } => ({
  _tag: "Ack",
  ack: { _tag: "Ack", nextSeqno, ...(bufSize === undefined ? {} : { bufSize }), ...(window === undefined ? {} : { window }) }
})
const sends = (outputs: ReadonlyArray<SenderOutput>) => outputs.flatMap((output) => (output._tag === "SendData" ? [output.seqno] : []))

describe("layoutFor", () => {
  it("fits the whole datagram, header included, for every seqno", () => {
    fc.assert(fc.property(fc.integer({ min: 16, max: 65507 }), fc.nat(1e6), fc.nat(1e7), (bufSize, seqno0, totalBytes) => {
      const layout = layoutFor(bufSize, seqno0, totalBytes)
      if (layout === undefined) return
      expect(layout.payloadBytes + dataHeaderBytes(seqno0 + Math.max(1, layout.chunkCount))).toBeLessThanOrEqual(bufSize)
      expect(layout.chunkCount * layout.payloadBytes).toBeGreaterThanOrEqual(totalBytes)
    }))
    // 1e6 bytes need 987 messages: 3-digit seqnos, a 10-byte header "d | 987 | ".
    expect(layoutFor(1024, 0, 1e6)).toEqual({ payloadBytes: 1014, chunkCount: 987 })
    expect(layoutFor(1024, 0, 2e6)).toEqual({ payloadBytes: 1013, chunkCount: 1975 })
    expect(layoutFor(8, 0, 100)).toBeUndefined()
  })
})

describe("sender core", () => {
  it("sends the start, then one data message per ack, and is done on the last ack", () => {
    let { state, outputs } = initSender(plan())
    expect(outputs).toEqual([{ _tag: "SendStart", wantsWindow: false }, { _tag: "ArmTimer" }])
    ;({ state, outputs } = stepSender(state, ack(1, 1024)))
    expect(outputs).toEqual([{ _tag: "SendData", seqno: 1, offset: 0, length: 1016 }, { _tag: "ArmTimer" }])
    ;({ state, outputs } = stepSender(state, ack(2)))
    expect(outputs[0]).toEqual({ _tag: "SendData", seqno: 2, offset: 1016, length: 1016 })
    ;({ state, outputs } = stepSender(state, ack(3)))
    expect(outputs[0]).toEqual({ _tag: "SendData", seqno: 3, offset: 2032, length: 468 })
    ;({ state, outputs } = stepSender(state, ack(4)))
    expect(outputs).toEqual([{ _tag: "Done" }])
  })

  it("ignores stale, duplicate and foreign acks", () => {
    let state: SenderState = initSender(plan()).state
    expect(stepSender(state, ack(1)).outputs[0]).toMatchObject({ _tag: "Ignored" })
    expect(stepSender(state, ack(5, 1024)).outputs[0]).toMatchObject({ _tag: "Ignored" })
    state = stepSender(state, ack(1, 1024)).state
    for (const stale of [ack(1), ack(1, 1024), ack(3), ack(0)]) {
      const step = stepSender(state, stale)
      expect(step.outputs).toEqual([{ _tag: "Ignored", reason: expect.any(String) }])
      expect(step.state).toBe(state)
    }
  })

  it("tries each message triesPerMessage times, then gives up", () => {
    let { state } = initSender(plan())
    const resent: Array<string> = []
    for (let timeout = 0; timeout < 5; timeout++) {
      const step = stepSender(state, { _tag: "Timeout" })
      state = step.state
      resent.push(step.outputs.map((output) => output._tag).join(","))
    }
    expect(resent).toEqual(["SendStart,ArmTimer", "SendStart,ArmTimer", "SendStart,ArmTimer", "SendStart,ArmTimer", "GiveUp"])
    expect(state.phase).toBe("failed")
  })

  it("resets the tries when an ack makes progress", () => {
    let state = stepSender(initSender(plan()).state, ack(1, 1024)).state
    for (let timeout = 0; timeout < 4; timeout++) state = stepSender(state, { _tag: "Timeout" }).state
    state = stepSender(state, ack(2)).state
    expect(state.tries).toBe(1)
  })

  it("a zero-byte file is done with the start ack", () => {
    expect(stepSender(initSender(plan({ totalBytes: 0 })).state, ack(1, 1024)).outputs).toEqual([{ _tag: "Done" }])
  })

  it("windowed: asks for a window, falls back to stop-and-wait when not granted", () => {
    const asking = initSender(plan({ window: 4, totalBytes: 10_000 }))
    expect(asking.outputs[0]).toEqual({ _tag: "SendStart", wantsWindow: true })
    expect(sends(stepSender(asking.state, ack(1, 1024)).outputs)).toEqual([1])
    const granted = stepSender(asking.state, ack(1, 1024, 3))
    expect(sends(granted.outputs)).toEqual([1, 2, 3])
    expect(sends(stepSender(granted.state, ack(3)).outputs)).toEqual([4, 5])
  })

  it("windowed: three duplicate acks resend from the gap", () => {
    let state = stepSender(initSender(plan({ window: 4, totalBytes: 10_000 })).state, ack(1, 1024, 4)).state
    state = stepSender(state, ack(2)).state
    expect(sends(stepSender(state, ack(2)).outputs)).toEqual([])
    state = stepSender(stepSender(state, ack(2)).state, ack(2)).state
    expect(state.duplicateAcks).toBe(2)
    expect(sends(stepSender(state, ack(2)).outputs)).toEqual([2, 3, 4, 5])
  })
})

/** Both cores wired through a seeded lossy, duplicating, reordering channel; pure and fast. */
const simulate = (seed: number, totalBytes: number, window: number, bufSize: number) => {
  let random = seed >>> 0
  const next = () => ((random = (Math.imul(random, 1664525) + 1013904223) >>> 0) / 2 ** 32)
  const file = Buffer.from(Array.from({ length: totalBytes }, (_, index) => (index * 31 + seed) & 255))
  const limits: ReceiverLimits = { bufSize, maxFileBytes: 1e9, maxFilenameBytes: 255, windowSize: 8 }
  const written = Buffer.alloc(totalBytes)
  let receiver: SessionState | undefined
  let committed = false
  let sender = initSender({ seqno0: 0, name: "f", totalBytes, triesPerMessage: 50, window })
  type Packet = { toReceiver: boolean; data: unknown }
  let wire: Array<Packet> = []
  const fromSender = (outputs: ReadonlyArray<SenderOutput>) => {
    for (const output of outputs) {
      if (output._tag === "SendStart") wire.push({ toReceiver: true, data: { _tag: "Start", seqno0: 0, name: "f", totalBytes, wantsWindow: output.wantsWindow } })
      if (output._tag === "SendData") wire.push({ toReceiver: true, data: { _tag: "Data", seqno: output.seqno, bytes: file.subarray(output.offset, output.offset + output.length) } })
    }
  }
  fromSender(sender.outputs)
  for (let round = 0; round < 100_000 && sender.state.phase !== "done" && sender.state.phase !== "failed"; round++) {
    if (wire.length === 0) {
      sender = stepSender(sender.state, { _tag: "Timeout" })
      fromSender(sender.outputs)
      continue
    }
    const index = next() < 0.2 ? Math.floor(next() * wire.length) : 0
    const [packet] = wire.splice(index, 1)
    if (packet === undefined || next() < 0.1) continue
    if (next() < 0.05) wire.push(packet)
    if (!packet.toReceiver) {
      sender = stepSender(sender.state, { _tag: "Ack", ack: packet.data as AckMessage })
      fromSender(sender.outputs)
      continue
    }
    const data = packet.data as { _tag: "Start" | "Data" }
    let outputs
    if (receiver === undefined) {
      if (data._tag !== "Start") continue
      const opening = openSession(packet.data as never, limits)
      if (opening._tag !== "Opened") throw new Error(opening.reason)
      receiver = opening.state
      outputs = opening.outputs
    } else {
      const step = stepSession(receiver, data._tag === "Start" ? { _tag: "Start", start: packet.data as never } : (packet.data as never), limits)
      receiver = step.state
      outputs = step.outputs
    }
    for (const output of outputs) {
      if (output._tag === "Write") Buffer.from(output.bytes).copy(written, output.offset)
      if (output._tag === "Commit") committed = true
      if (output._tag === "AckStart" || output._tag === "AckData") wire.push({ toReceiver: false, data: { ...output, _tag: "Ack" } })
    }
  }
  return { phase: sender.state.phase, committed, equal: written.equals(file) }
}

describe("sender and receiver cores together", () => {
  it("deliver byte-exact through loss, duplication and reordering, in both modes", () => {
    fc.assert(
      fc.property(fc.nat(), fc.nat(20_000), fc.constantFrom(1, 4, 8), fc.constantFrom(64, 200, 1024), (seed, totalBytes, window, bufSize) => {
        const result = simulate(seed, totalBytes, window, bufSize)
        expect(result).toEqual({ phase: "done", committed: true, equal: true })
      }),
      { numRuns: 60 }
    )
  })
})
