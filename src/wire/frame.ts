/**
 * Peer frames: length-prefixed, authenticated envelopes around one `PeerMessage`.
 *
 *   [u32 length][u8 version][u16 n][clusterId][u16 n][from][u16 n][to][payload JSON][32-byte HMAC]
 *
 * `length` counts every byte after itself, HMAC included. The HMAC-SHA256 (keyed with the cluster
 * secret) covers everything before it, the length prefix too, so a flipped bit anywhere is caught
 * before any field is trusted. The payload is the JSON of `Schema.encodeSync(PeerMessage)` (see
 * codec.ts for why the encode step is usually a plain JSON.stringify).
 *
 * Decoding is incremental (TCP delivers arbitrary chunks) and total: every frame yields either a
 * message or a rejection reason, and nothing a peer sends can make it throw.
 */
import { createHmac, createSecretKey, timingSafeEqual, type KeyObject } from "node:crypto"
import { decodePeerMessageJson, encodePeerMessageJson } from "./codec.js"
import type { PeerMessage } from "./messages.js"

export const FRAME_VERSION = 1
export const LENGTH_PREFIX_BYTES = 4
export const MAC_BYTES = 32
/** version + three u16 string lengths. */
const FIXED_HEADER_BYTES = 1 + 2 * 3
/** The smallest legal value of the length prefix: empty strings, empty payload, a MAC. */
export const MIN_FRAME_BODY_BYTES = FIXED_HEADER_BYTES + MAC_BYTES
const MAX_HEADER_STRING_BYTES = 0xffff

export interface Envelope {
  readonly clusterId: string
  readonly from: string
  readonly to: string
  readonly message: PeerMessage
}

export type RejectReason = "too-large" | "bad-auth" | "bad-decode" | "wrong-cluster" | "wrong-receiver"
export const REJECT_REASONS: ReadonlyArray<RejectReason> = [
  "too-large",
  "bad-auth",
  "bad-decode",
  "wrong-cluster",
  "wrong-receiver"
]

export interface DecodedFrame extends Envelope {
  readonly _tag: "Frame"
  /** Bytes on the wire, prefix and MAC included. */
  readonly frameBytes: number
}

export interface RejectedFrame {
  readonly _tag: "Rejected"
  readonly reason: RejectReason
  /** The stream cannot be resynchronised: the connection must be closed. */
  readonly fatal: boolean
  readonly frameBytes: number
}

export type FrameResult = DecodedFrame | RejectedFrame

/** The cluster secret as a reusable HMAC key (created once, used for every frame). */
export type FrameKey = KeyObject
export const frameKey = (secret: string): FrameKey => createSecretKey(Buffer.from(secret, "utf8"))

export class FrameEncodeError extends Error {
  readonly _tag = "FrameEncodeError"
}

const writeHeaderString = (frame: Buffer, offset: number, text: string, byteLength: number): number => {
  frame.writeUInt16BE(byteLength, offset)
  frame.write(text, offset + 2, byteLength, "utf8")
  return offset + 2 + byteLength
}

/**
 * Encodes one envelope into a complete frame (one allocation, one HMAC). Throws only for a
 * programming error: a header string over 64 KiB (`FrameEncodeError`), or, if PeerMessage has
 * transformations, a message its encoder refuses (`MessageEncodeError`). Callers check
 * `frame.length` against their size limit.
 */
export const encodeFrame = (envelope: Envelope, key: FrameKey): Buffer => {
  const json = encodePeerMessageJson(envelope.message)
  const clusterBytes = Buffer.byteLength(envelope.clusterId, "utf8")
  const fromBytes = Buffer.byteLength(envelope.from, "utf8")
  const toBytes = Buffer.byteLength(envelope.to, "utf8")
  if (Math.max(clusterBytes, fromBytes, toBytes) > MAX_HEADER_STRING_BYTES) {
    throw new FrameEncodeError("cluster id, sender or receiver longer than 65535 bytes")
  }
  const payloadBytes = Buffer.byteLength(json, "utf8")
  const bodyBytes = FIXED_HEADER_BYTES + clusterBytes + fromBytes + toBytes + payloadBytes + MAC_BYTES
  const frame = Buffer.allocUnsafe(LENGTH_PREFIX_BYTES + bodyBytes)
  frame.writeUInt32BE(bodyBytes, 0)
  frame.writeUInt8(FRAME_VERSION, LENGTH_PREFIX_BYTES)
  let offset = LENGTH_PREFIX_BYTES + 1
  offset = writeHeaderString(frame, offset, envelope.clusterId, clusterBytes)
  offset = writeHeaderString(frame, offset, envelope.from, fromBytes)
  offset = writeHeaderString(frame, offset, envelope.to, toBytes)
  offset += frame.write(json, offset, payloadBytes, "utf8")
  createHmac("sha256", key).update(frame.subarray(0, offset)).digest().copy(frame, offset)
  return frame
}

export interface FrameDecoderOptions {
  readonly key: FrameKey
  readonly clusterId: string
  /** This node: frames addressed to anyone else are rejected as "wrong-receiver". */
  readonly self: string
  /** Upper bound on a whole frame (prefix and MAC included): config.wire.maxFrameBytes. */
  readonly maxFrameBytes: number
}

type Parsed = { readonly ok: true; readonly frame: DecodedFrame } | { readonly ok: false; readonly reason: RejectReason }

/**
 * Incremental decoder for one connection. Buffered bytes never exceed one frame plus one chunk,
 * because the length prefix is checked against `maxFrameBytes` before the frame is awaited.
 */
export class FrameDecoder {
  private readonly chunks: Array<Buffer> = []
  private bufferedBytes = 0
  private closed = false
  readonly rejected: Record<RejectReason, number> = {
    "too-large": 0,
    "bad-auth": 0,
    "bad-decode": 0,
    "wrong-cluster": 0,
    "wrong-receiver": 0
  }
  decodedFrames = 0

  constructor(private readonly options: FrameDecoderOptions) {}

  /** True after a fatal rejection: the stream is out of sync and the connection must close. */
  get isClosed(): boolean {
    return this.closed
  }

  get buffered(): number {
    return this.bufferedBytes
  }

  /** Feeds one chunk; returns every frame it completed, in order. */
  feed(chunk: Uint8Array): Array<FrameResult> {
    const results: Array<FrameResult> = []
    if (this.closed || chunk.length === 0) return results
    this.chunks.push(Buffer.isBuffer(chunk) ? chunk : Buffer.from(chunk.buffer, chunk.byteOffset, chunk.length))
    this.bufferedBytes += chunk.length
    while (this.bufferedBytes >= LENGTH_PREFIX_BYTES) {
      const bodyBytes = this.peekLength()
      const frameBytes = LENGTH_PREFIX_BYTES + bodyBytes
      if (frameBytes > this.options.maxFrameBytes) {
        this.closed = true
        this.chunks.length = 0
        this.bufferedBytes = 0
        this.rejected["too-large"]++
        results.push({ _tag: "Rejected", reason: "too-large", fatal: true, frameBytes })
        return results
      }
      if (this.bufferedBytes < frameBytes) break
      const parsed = this.parse(this.take(frameBytes))
      if (parsed.ok) {
        this.decodedFrames++
        results.push(parsed.frame)
      } else {
        this.rejected[parsed.reason]++
        results.push({ _tag: "Rejected", reason: parsed.reason, fatal: false, frameBytes })
      }
    }
    return results
  }

  private peekLength(): number {
    const first = this.chunks[0]!
    if (first.length >= LENGTH_PREFIX_BYTES) return first.readUInt32BE(0)
    let value = 0
    let read = 0
    for (const chunk of this.chunks) {
      for (let index = 0; index < chunk.length && read < LENGTH_PREFIX_BYTES; index++, read++) {
        value = value * 256 + chunk[index]!
      }
      if (read === LENGTH_PREFIX_BYTES) break
    }
    return value
  }

  /** Removes `size` bytes from the front; copies only when the frame spans chunks. */
  private take(size: number): Buffer {
    const first = this.chunks[0]!
    this.bufferedBytes -= size
    if (first.length >= size) {
      if (first.length === size) this.chunks.shift()
      else this.chunks[0] = first.subarray(size)
      return first.subarray(0, size)
    }
    const frame = Buffer.allocUnsafe(size)
    let filled = 0
    while (filled < size) {
      const chunk = this.chunks[0]!
      const wanted = size - filled
      if (chunk.length <= wanted) {
        chunk.copy(frame, filled)
        filled += chunk.length
        this.chunks.shift()
      } else {
        chunk.copy(frame, filled, 0, wanted)
        filled += wanted
        this.chunks[0] = chunk.subarray(wanted)
      }
    }
    return frame
  }

  private parse(frame: Buffer): Parsed {
    if (frame.length < LENGTH_PREFIX_BYTES + MIN_FRAME_BODY_BYTES) return { ok: false, reason: "bad-decode" }
    const macStart = frame.length - MAC_BYTES
    const expected = createHmac("sha256", this.options.key).update(frame.subarray(0, macStart)).digest()
    if (!timingSafeEqual(expected, frame.subarray(macStart))) return { ok: false, reason: "bad-auth" }
    if (frame[LENGTH_PREFIX_BYTES] !== FRAME_VERSION) return { ok: false, reason: "bad-decode" }
    const reader = { offset: LENGTH_PREFIX_BYTES + 1 }
    const clusterId = readHeaderString(frame, reader, macStart)
    const from = readHeaderString(frame, reader, macStart)
    const to = readHeaderString(frame, reader, macStart)
    if (clusterId === undefined || from === undefined || to === undefined) return { ok: false, reason: "bad-decode" }
    if (clusterId !== this.options.clusterId) return { ok: false, reason: "wrong-cluster" }
    if (to !== this.options.self) return { ok: false, reason: "wrong-receiver" }
    const message = decodePeerMessageJson(frame.toString("utf8", reader.offset, macStart))
    if (message === undefined) return { ok: false, reason: "bad-decode" }
    return { ok: true, frame: { _tag: "Frame", clusterId, from, to, message, frameBytes: frame.length } }
  }
}

const readHeaderString = (frame: Buffer, reader: { offset: number }, end: number): string | undefined => {
  if (reader.offset + 2 > end) return undefined
  const byteLength = frame.readUInt16BE(reader.offset)
  const start = reader.offset + 2
  if (start + byteLength > end) return undefined
  reader.offset = start + byteLength
  return frame.toString("utf8", start, start + byteLength)
}
