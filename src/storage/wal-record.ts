/**
 * WAL record framing and payloads. A frame is [length u32 LE][crc32 u32 LE][payload]; the
 * payload is one JSON record. Replay stops where only zeros are left (a segment's preallocated
 * space), or at the first frame that is cut short, has an impossible length, a wrong checksum,
 * or a payload that does not decode: everything before it is trusted, nothing after it is.
 */
import { Data, Either, Predicate, Schema } from "effect"
import { Entry } from "../raft/messages.js"
import { crc32 } from "./crc32.js"
import { decodeUnknownTotal } from "../wire/total-decode.js"

export const FRAME_HEADER_BYTES = 8

/** A persist request the WAL refuses (a caller bug or a limit), before anything is written. */
export class WalError extends Data.TaggedError("WalError")<{ readonly reason: string }> {
  override get message(): string {
    return `raft log: ${this.reason}`
  }
}

const Term = Schema.Int.pipe(Schema.nonNegative())
const Index = Schema.Int.pipe(Schema.nonNegative())

export const HardState = Schema.Struct({ term: Term, vote: Schema.NullOr(Schema.String) })
export type HardState = typeof HardState.Type

export const SnapshotData = Schema.Struct({ index: Index, term: Term, data: Schema.String })
export type SnapshotData = typeof SnapshotData.Type

export const WalRecord = Schema.Union(
  Schema.Struct({ type: Schema.Literal("hardState"), term: Term, vote: Schema.NullOr(Schema.String) }),
  /** Drops every entry with index >= from (0 clears the log). */
  Schema.Struct({ type: Schema.Literal("truncate"), from: Index }),
  /** Contiguous entries; the first may overwrite a suffix of the log. */
  Schema.Struct({ type: Schema.Literal("entries"), entries: Schema.NonEmptyArray(Entry) })
)
export type WalRecord = typeof WalRecord.Type

// Total: a frame whose checksum holds but whose payload trips the parser ends the trusted log, like any bad frame.
const decodeRecord = decodeUnknownTotal(WalRecord)
const decodeSnapshot = decodeUnknownTotal(SnapshotData)

export const hardStatePayload = (hardState: HardState): string =>
  JSON.stringify({ type: "hardState", term: hardState.term, vote: hardState.vote })

export const truncatePayload = (from: number): string => JSON.stringify({ type: "truncate", from })

const ENTRIES_OPEN = `{"type":"entries","entries":[`
const ENTRIES_CLOSE = `]}`
const ENTRIES_OVERHEAD_BYTES = ENTRIES_OPEN.length + ENTRIES_CLOSE.length

/**
 * Entries as as few records as possible, each payload at most `maxPayloadBytes`. Each entry is
 * stringified once; an entry that cannot fit in any record is refused.
 */
export interface EntriesPayload {
  readonly payload: string
  /** Index of the last entry in this record. */
  readonly lastIndex: number
}

export const entriesPayloads = (
  entries: ReadonlyArray<Entry>,
  maxPayloadBytes: number
): Either.Either<ReadonlyArray<EntriesPayload>, WalError> => {
  const payloads: Array<EntriesPayload> = []
  let lastIndex = -1
  let chunk: Array<string> = []
  let chunkBytes = ENTRIES_OVERHEAD_BYTES
  const close = (lastIndex: number) => payloads.push({ payload: ENTRIES_OPEN + chunk.join(",") + ENTRIES_CLOSE, lastIndex })
  for (const entry of entries) {
    const json = JSON.stringify({ term: entry.term, index: entry.index, kind: entry.kind, data: entry.data })
    const bytes = Buffer.byteLength(json, "utf8") + 1
    if (ENTRIES_OVERHEAD_BYTES + bytes > maxPayloadBytes) {
      return Either.left(new WalError({ reason: `entry ${entry.index} encodes to ${bytes} bytes, more than a WAL record holds (${maxPayloadBytes - ENTRIES_OVERHEAD_BYTES})` }))
    }
    if (chunkBytes + bytes > maxPayloadBytes) {
      close(lastIndex)
      chunk = []
      chunkBytes = ENTRIES_OVERHEAD_BYTES
    }
    chunk.push(json)
    chunkBytes += bytes
    lastIndex = entry.index
  }
  if (chunk.length > 0) close(lastIndex)
  return Either.right(payloads)
}

/** All payloads framed back to back in one buffer (each encoded straight into it), so a batch is a single write. */
export const framePayloads = (payloads: ReadonlyArray<string>): Buffer => {
  const sizes = payloads.map((payload) => Buffer.byteLength(payload, "utf8"))
  const total = sizes.reduce((sum, size) => sum + FRAME_HEADER_BYTES + size, 0)
  const buffer = Buffer.allocUnsafe(total)
  let offset = 0
  payloads.forEach((payload, i) => {
    const start = offset + FRAME_HEADER_BYTES
    const end = start + buffer.write(payload, start, sizes[i]!, "utf8")
    buffer.writeUInt32LE(end - start, offset)
    buffer.writeUInt32LE(crc32(buffer, start, end), offset + 4)
    offset = end
  })
  return buffer
}

export const frameBytes = (payload: string): number => FRAME_HEADER_BYTES + Buffer.byteLength(payload, "utf8")

export interface ScannedRecord {
  readonly offset: number
  readonly record: WalRecord
}

export interface FrameScan {
  readonly records: ReadonlyArray<ScannedRecord>
  /** Bytes up to the end of the last good frame. */
  readonly validBytes: number
  /** Why scanning stopped before the end, if it did. */
  readonly problem?: string
}

const parseJson = (bytes: Uint8Array): Either.Either<unknown, string> => {
  try {
    return Either.right(JSON.parse(Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString("utf8")))
  } catch (error) {
    return Either.left(`payload is not JSON: ${(error as Error).message}`)
  }
}

/** Checks one frame at `offset`: its payload, or why it is not a good frame. */
const readFrame = (bytes: Uint8Array, offset: number, maxPayloadBytes: number): Either.Either<Uint8Array, string> => {
  const remaining = bytes.byteLength - offset
  if (remaining < FRAME_HEADER_BYTES) return Either.left(`torn frame header (${remaining} of ${FRAME_HEADER_BYTES} bytes)`)
  const view = new DataView(bytes.buffer, bytes.byteOffset + offset, FRAME_HEADER_BYTES)
  const length = view.getUint32(0, true)
  const checksum = view.getUint32(4, true)
  if (length === 0 || length > maxPayloadBytes) return Either.left(`impossible record length ${length}`)
  if (length > remaining - FRAME_HEADER_BYTES) {
    return Either.left(`torn record (${remaining - FRAME_HEADER_BYTES} of ${length} payload bytes)`)
  }
  const start = offset + FRAME_HEADER_BYTES
  if (crc32(bytes, start, start + length) !== checksum) return Either.left("checksum mismatch")
  return Either.right(bytes.subarray(start, start + length))
}

/** True when every byte from `offset` on is zero: the preallocated space after the last record. */
const zerosFrom = (bytes: Uint8Array, offset: number): boolean => {
  for (let at = offset; at < bytes.byteLength; at++) if (bytes[at] !== 0) return false
  return true
}

/**
 * The records of a segment, in order. A segment is preallocated (zeros), so its records end
 * where only zeros are left; a zero length (no record has one) followed by anything but zeros is
 * a write that was torn, and is reported like any other bad frame.
 */
export const scanFrames = (bytes: Uint8Array, maxPayloadBytes: number): FrameScan => {
  const records: Array<ScannedRecord> = []
  let offset = 0
  while (offset < bytes.byteLength) {
    if (bytes[offset] === 0 && zerosFrom(bytes, offset)) break
    const frame = readFrame(bytes, offset, maxPayloadBytes)
    const record = Either.flatMap(frame, (payload) =>
      Either.flatMap(parseJson(payload), (json) =>
        Either.mapLeft(decodeRecord(json), () => "payload is not a WAL record")))
    if (Either.isLeft(record)) return { records, validBytes: offset, problem: `${record.left} at byte ${offset}` }
    records.push({ offset, record: record.right })
    offset += FRAME_HEADER_BYTES + Either.getOrThrow(frame).byteLength
  }
  return { records, validBytes: offset }
}

const NEWLINE = 0x0a

/**
 * The snapshot file: one frame whose payload is a JSON header line (`{"format":2,"index":..,
 * "term":..}`) and the state machine's data as it is. The first format held the data as a JSON
 * string inside the header, which escaped every quote of the (JSON) data on the way out and back:
 * tens of milliseconds for a few MB, on the Raft loop. It is still read; its payload has no raw
 * newline (JSON.stringify escapes them), which is how the two are told apart.
 */
/** The snapshot encoder's buffers: a file of 37 MB is 37 writes, not one per piece. */
const SNAPSHOT_CHUNK_BYTES = 1 << 20

/** A snapshot file built a piece of its data at a time, as the pieces are serialized. */
export class SnapshotFileEncoder {
  private readonly chunks: Array<Uint8Array> = []
  private chunk: Buffer = Buffer.allocUnsafe(SNAPSHOT_CHUNK_BYTES)
  private used = 0
  private length = 0
  private checksum = 0

  constructor(index: number, term: number) {
    this.add(`${JSON.stringify({ format: 2, index, term })}\n`)
  }

  /** Appends the next piece of the data (whole characters: a piece ends where a character does). */
  add(piece: string): void {
    const bytes = Buffer.byteLength(piece, "utf8")
    if (bytes > this.chunk.byteLength - this.used) {
      this.seal()
      this.chunk = Buffer.allocUnsafe(Math.max(SNAPSHOT_CHUNK_BYTES, bytes))
    }
    const written = this.chunk.write(piece, this.used, "utf8")
    this.checksum = crc32(this.chunk, this.used, this.used + written, this.checksum)
    this.used += written
    this.length += written
  }

  /** The file's bytes, in pieces (a snapshot of many MB need not be one buffer). */
  finish(): ReadonlyArray<Uint8Array> {
    this.seal()
    const header = Buffer.allocUnsafe(FRAME_HEADER_BYTES)
    header.writeUInt32LE(this.length, 0)
    header.writeUInt32LE(this.checksum, 4)
    return [header, ...this.chunks]
  }

  private seal(): void {
    if (this.used > 0) this.chunks.push(this.chunk.subarray(0, this.used))
    this.chunk = Buffer.alloc(0)
    this.used = 0
  }
}

export const encodeSnapshot = (snapshot: SnapshotData): ReadonlyArray<Uint8Array> => {
  const file = new SnapshotFileEncoder(snapshot.index, snapshot.term)
  file.add(snapshot.data)
  return file.finish()
}

const decodeSnapshotPayload = (payload: Uint8Array): Either.Either<SnapshotData, string> => {
  const newline = payload.indexOf(NEWLINE)
  if (newline < 0) return Either.flatMap(parseJson(payload), (json) => Either.mapLeft(decodeSnapshot(json), () => "payload is not a snapshot"))
  return Either.flatMap(parseJson(payload.subarray(0, newline)), (header) => {
    if (!Predicate.isRecord(header) || header.format !== 2) return Either.left("unknown snapshot header")
    const data = Buffer.from(payload.buffer, payload.byteOffset + newline + 1, payload.byteLength - newline - 1).toString("utf8")
    return Either.mapLeft(decodeSnapshot({ index: header.index, term: header.term, data }), () => "bad snapshot header")
  })
}

/** The snapshot file holds exactly one frame; anything else means it is damaged. */
export const decodeSnapshotFile = (bytes: Uint8Array): Either.Either<SnapshotData, string> =>
  Either.flatMap(readFrame(bytes, 0, Math.max(0, bytes.byteLength - FRAME_HEADER_BYTES)), (payload) => {
    if (FRAME_HEADER_BYTES + payload.byteLength !== bytes.byteLength) return Either.left("trailing bytes after the snapshot")
    return decodeSnapshotPayload(payload)
  })
