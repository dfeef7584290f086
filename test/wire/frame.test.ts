import { createHmac } from "node:crypto"
import { describe, expect, it } from "@effect/vitest"
import { Arbitrary, FastCheck as fc } from "effect"
import {
  encodeFrame,
  type Envelope,
  FrameDecoder,
  frameKey,
  type FrameResult,
  LENGTH_PREFIX_BYTES,
  MAC_BYTES
} from "../../src/wire/frame.js"
import { PeerMessage } from "../../src/wire/messages.js"

const SECRET = "frame-test-secret"
const KEY = frameKey(SECRET)
const CLUSTER = "c1"
const SELF = "127.0.0.1:7000"
const MAX_FRAME_BYTES = 64 * 1024

const decoder = (overrides: Partial<{ self: string; clusterId: string; secret: string; max: number }> = {}) =>
  new FrameDecoder({
    key: frameKey(overrides.secret ?? SECRET),
    clusterId: overrides.clusterId ?? CLUSTER,
    self: overrides.self ?? SELF,
    maxFrameBytes: overrides.max ?? MAX_FRAME_BYTES
  })

/** JSON cannot carry NaN, ±Infinity or -0; PeerMessage's plain Schema.Number allows them (reported). */
const jsonSafe = (value: unknown): boolean => {
  if (typeof value === "number") return Number.isFinite(value) && !Object.is(value, -0)
  if (Array.isArray(value)) return value.every(jsonSafe)
  if (typeof value === "object" && value !== null) return Object.values(value).every(jsonSafe)
  return true
}

const messageArb = Arbitrary.make(PeerMessage).filter(jsonSafe)
const nodeIdArb = fc.string({ minLength: 1, maxLength: 40 })
const envelopeArb: fc.Arbitrary<Envelope> = fc.record({
  clusterId: fc.constant(CLUSTER),
  from: nodeIdArb,
  to: fc.constant(SELF),
  message: messageArb
})

const frames = (results: ReadonlyArray<FrameResult>) => results.filter((result) => result._tag === "Frame")
const rejections = (results: ReadonlyArray<FrameResult>) =>
  results.flatMap((result) => (result._tag === "Rejected" ? [result.reason] : []))

/** Splits bytes at the given cut points (any order, duplicates allowed). */
const split = (bytes: Buffer, cuts: ReadonlyArray<number>): Array<Buffer> => {
  const points = [...new Set(cuts.map((cut) => cut % (bytes.length + 1)))].sort((a, b) => a - b)
  const pieces: Array<Buffer> = []
  let start = 0
  for (const point of [...points, bytes.length]) {
    pieces.push(bytes.subarray(start, point))
    start = point
  }
  return pieces
}

/** A frame with a valid MAC around an arbitrary body (version byte onwards, MAC excluded). */
const signedFrame = (body: Buffer, secret = SECRET): Buffer => {
  const frame = Buffer.alloc(LENGTH_PREFIX_BYTES + body.length + MAC_BYTES)
  frame.writeUInt32BE(body.length + MAC_BYTES, 0)
  body.copy(frame, LENGTH_PREFIX_BYTES)
  createHmac("sha256", secret).update(frame.subarray(0, frame.length - MAC_BYTES)).digest().copy(frame, frame.length - MAC_BYTES)
  return frame
}

const header = (clusterId: string, from: string, to: string, version = 1): Buffer => {
  const parts = [Buffer.from([version])]
  for (const text of [clusterId, from, to]) {
    const bytes = Buffer.from(text, "utf8")
    const length = Buffer.alloc(2)
    length.writeUInt16BE(bytes.length)
    parts.push(length, bytes)
  }
  return Buffer.concat(parts)
}

const ping = { _tag: "Ping", seq: 1, sentAtMs: 2 } as const
const pingEnvelope: Envelope = { clusterId: CLUSTER, from: "127.0.0.2:7000", to: SELF, message: ping }

describe("encodeFrame / FrameDecoder", () => {
  it.prop("round-trips any envelope, whatever the chunking", [fc.array(envelopeArb, { minLength: 1, maxLength: 8 }), fc.array(fc.nat(), { maxLength: 12 })], ([envelopes, cuts]) => {
    const stream = Buffer.concat(envelopes.map((envelope) => encodeFrame(envelope, KEY)))
    const target = decoder()
    const results = split(stream, cuts).flatMap((piece) => target.feed(piece))
    expect(rejections(results)).toEqual([])
    const decoded = frames(results)
    expect(decoded.map(({ clusterId, from, to, message }) => ({ clusterId, from, to, message }))).toEqual(envelopes)
    expect(decoded.reduce((sum, frame) => sum + frame.frameBytes, 0)).toBe(stream.length)
    expect(target.buffered).toBe(0)
  })

  it.prop("random bytes never throw, never deliver, and stay bounded", [fc.array(fc.uint8Array({ maxLength: 300 }), { maxLength: 20 })], ([chunks]) => {
    const target = decoder({ max: 1024 })
    for (const chunk of chunks) {
      const results = target.feed(chunk)
      expect(frames(results)).toEqual([])
      expect(target.buffered).toBeLessThanOrEqual(1024 + chunk.length)
    }
  })

  it.prop("a truncated frame yields nothing until its last byte arrives", [envelopeArb, fc.nat()], ([envelope, cut]) => {
    const frame = encodeFrame(envelope, KEY)
    const at = cut % frame.length
    const target = decoder()
    expect(target.feed(frame.subarray(0, at))).toEqual([])
    expect(frames(target.feed(frame.subarray(at)))).toHaveLength(1)
  })

  it.prop("any flipped bit after the length prefix is rejected as bad-auth and counted", [envelopeArb, fc.nat(), fc.integer({ min: 0, max: 7 })], ([envelope, position, bit]) => {
    const frame = Buffer.from(encodeFrame(envelope, KEY))
    const at = LENGTH_PREFIX_BYTES + (position % (frame.length - LENGTH_PREFIX_BYTES))
    frame[at] = frame[at]! ^ (1 << bit)
    const target = decoder()
    expect(rejections(target.feed(frame))).toEqual(["bad-auth"])
    expect(target.rejected["bad-auth"]).toBe(1)
    // The stream stays in sync: the next good frame is delivered.
    expect(frames(target.feed(encodeFrame(envelope, KEY)))).toHaveLength(1)
  })

  it.prop("a flipped bit in the length prefix never delivers and never throws", [envelopeArb, fc.integer({ min: 0, max: 31 })], ([envelope, bit]) => {
    const frame = Buffer.from(encodeFrame(envelope, KEY))
    const byteIndex = bit >> 3
    frame[byteIndex] = frame[byteIndex]! ^ (1 << (bit & 7))
    const target = decoder()
    const results = [...target.feed(frame), ...target.feed(Buffer.alloc(64))]
    expect(frames(results)).toEqual([])
  })

  it("rejects a frame over the size limit as fatal and closes the decoder", () => {
    const target = decoder({ max: 100 })
    const length = Buffer.alloc(4)
    length.writeUInt32BE(1_000_000)
    const results = target.feed(length)
    expect(results).toEqual([{ _tag: "Rejected", reason: "too-large", fatal: true, frameBytes: 1_000_004 }])
    expect(target.isClosed).toBe(true)
    expect(target.feed(encodeFrame(pingEnvelope, KEY))).toEqual([])
    expect(target.rejected["too-large"]).toBe(1)
  })

  it("rejects a different secret as bad-auth, another cluster or receiver by name", () => {
    const target = decoder()
    const results = [
      ...target.feed(encodeFrame(pingEnvelope, frameKey("some-other-secret"))),
      ...target.feed(encodeFrame({ ...pingEnvelope, clusterId: "other" }, KEY)),
      ...target.feed(encodeFrame({ ...pingEnvelope, to: "127.0.0.3:7000" }, KEY)),
      ...target.feed(encodeFrame(pingEnvelope, KEY))
    ]
    expect(rejections(results)).toEqual(["bad-auth", "wrong-cluster", "wrong-receiver"])
    expect(frames(results).map((frame) => frame.message)).toEqual([ping])
    expect(target.rejected).toMatchObject({ "bad-auth": 1, "wrong-cluster": 1, "wrong-receiver": 1 })
    expect(target.decodedFrames).toBe(1)
  })

  it("rejects authenticated frames whose content is malformed as bad-decode, and keeps going", () => {
    const good = header(CLUSTER, "a", SELF)
    const bodies = [
      Buffer.concat([good, Buffer.from("{not json")]),
      Buffer.concat([good, Buffer.from(JSON.stringify({ _tag: "Ping", seq: "one", sentAtMs: 1 }))]),
      Buffer.concat([good, Buffer.from(JSON.stringify({ _tag: "Nope" }))]),
      // Effect's Schema throws on this one (it cannot describe the tag); the frame is refused all the same.
      Buffer.concat([good, Buffer.from(JSON.stringify({ _tag: { toString: 0 } }))]),
      Buffer.concat([header(CLUSTER, "a", SELF, 9), Buffer.from(JSON.stringify(ping))]),
      // Header lengths pointing past the end of the frame.
      Buffer.from([1, 0xff, 0xff]),
      Buffer.alloc(0)
    ]
    const target = decoder()
    const stream = Buffer.concat([...bodies.map((body) => signedFrame(body)), encodeFrame(pingEnvelope, KEY)])
    const results = target.feed(stream)
    expect(rejections(results)).toEqual(Array(bodies.length).fill("bad-decode"))
    expect(frames(results)).toHaveLength(1)
    expect(target.rejected["bad-decode"]).toBe(bodies.length)
  })

  it("encodes a typical AppendEntries within the configured frame limit", () => {
    const entries = Array.from({ length: 64 }, (_, index) => ({ term: 3, index: index + 1, kind: "command" as const, data: "x".repeat(100) }))
    const message = { _tag: "AppendEntries", term: 3, leader: "a", prevLogIndex: 0, prevLogTerm: 0, entries, leaderCommit: 0, readRound: 0 } as const
    const frame = encodeFrame({ ...pingEnvelope, message }, KEY)
    expect(frame.length).toBeGreaterThan(64 * 100)
    expect(frames(decoder().feed(frame))[0]?.message).toEqual(message)
  })

  it("a message that is not a valid PeerMessage is caught by the receiver as bad-decode", () => {
    const bogus = { _tag: "Ping", seq: 1.5, sentAtMs: 0 } as unknown as Envelope["message"]
    const target = decoder()
    expect(rejections(target.feed(encodeFrame({ ...pingEnvelope, message: bogus }, KEY)))).toEqual(["bad-decode"])
  })
})
