/**
 * The Lab01 wire format, byte-exact. Fields are separated by the three bytes " | ":
 *   start  `s | seqno0 | filename | total_size`
 *   data   `d | seqno | <raw bytes>`      (raw bytes follow the second delimiter; never split)
 *   acks   `a | next_seqno | buf_size`    (to a start)
 *          `a | next_seqno`               (to data)
 *
 * Windowed mode (beyond the lab): a sender asks for it by ending the start message's size field
 * with one ASCII space (`... | 1048576 `). The lab server parses that field with Python's
 * `int()`, which ignores surrounding whitespace, so an old receiver still works and answers a
 * plain `a | n | buf_size`. A receiver that grants a window answers `a | n | buf_size | window`;
 * it only ever does so to a sender that asked, so the lab client never sees a fourth field.
 */

export const DELIMITER = Buffer.from(" | ", "latin1")

/** More digits than this cannot be a safe integer. */
const maxNumberDigits = 15

export interface StartMessage {
  readonly _tag: "Start"
  readonly seqno0: number
  readonly name: string
  readonly totalBytes: number
  readonly wantsWindow: boolean
}

export interface DataMessage {
  readonly _tag: "Data"
  readonly seqno: number
  /** A view into the datagram, not a copy. */
  readonly bytes: Uint8Array
}

export interface AckMessage {
  readonly _tag: "Ack"
  readonly nextSeqno: number
  /** Present only in the answer to a start. */
  readonly bufSize?: number
  /** Present only when a receiver grants windowed mode. */
  readonly window?: number
}

export interface Malformed {
  readonly _tag: "Malformed"
  readonly reason: string
}

export type TransferMessage = StartMessage | DataMessage | AckMessage

const CODE_S = 0x73
const CODE_D = 0x64
const CODE_A = 0x61
const CODE_SPACE = 0x20

const startsWithDelimiter = (bytes: Uint8Array, at: number): boolean =>
  bytes[at] === 0x20 && bytes[at + 1] === 0x7c && bytes[at + 2] === 0x20

/** Parses decimal digits in [from, to); undefined unless 1..15 digits and nothing else. */
const parseNumber = (bytes: Uint8Array, from: number, to: number): number | undefined => {
  if (to <= from || to - from > maxNumberDigits) return undefined
  let value = 0
  for (let index = from; index < to; index++) {
    const digit = bytes[index]! - 0x30
    if (digit < 0 || digit > 9) return undefined
    value = value * 10 + digit
  }
  return value
}

/** Index of the next " | " at or after `from`, or -1. A plain loop: no view allocated per call. */
const indexOfDelimiter = (bytes: Uint8Array, from: number): number => {
  for (let index = from; index + 2 < bytes.length; index++) {
    if (bytes[index] === 0x20 && bytes[index + 1] === 0x7c && bytes[index + 2] === 0x20) return index
  }
  return -1
}

const utf8 = new TextDecoder("utf-8", { fatal: true })

const malformed = (reason: string): Malformed => ({ _tag: "Malformed", reason })

const decodeStart = (bytes: Uint8Array, rest: number, seqno0: number): StartMessage | Malformed => {
  const nameEnd = indexOfDelimiter(bytes, rest)
  if (nameEnd < 0) return malformed("start without a size field")
  let sizeEnd = bytes.length
  const wantsWindow = bytes[sizeEnd - 1] === CODE_SPACE
  if (wantsWindow) sizeEnd--
  const totalBytes = parseNumber(bytes, nameEnd + 3, sizeEnd)
  if (totalBytes === undefined) return malformed("start size is not a decimal number")
  let name: string
  try {
    name = utf8.decode(bytes.subarray(rest, nameEnd))
  } catch {
    return malformed("file name is not valid UTF-8")
  }
  return { _tag: "Start", seqno0, name, totalBytes, wantsWindow }
}

const decodeAck = (bytes: Uint8Array, nextSeqno: number, rest: number): AckMessage | Malformed => {
  const fields: Array<number> = []
  let from = rest
  while (from <= bytes.length && fields.length < 3) {
    const end = indexOfDelimiter(bytes, from)
    const value = parseNumber(bytes, from, end < 0 ? bytes.length : end)
    if (value === undefined) return malformed("ack field is not a decimal number")
    fields.push(value)
    if (end < 0) break
    from = end + 3
  }
  if (fields.length === 0 || fields.length > 2) return malformed("ack with too many fields")
  return fields.length === 1
    ? { _tag: "Ack", nextSeqno, bufSize: fields[0]! }
    : { _tag: "Ack", nextSeqno, bufSize: fields[0]!, window: fields[1]! }
}

/** Decodes one datagram. Never throws: anything unexpected is `Malformed` with a reason. */
export const decodeMessage = (bytes: Uint8Array): TransferMessage | Malformed => {
  if (bytes.length < 5 || !startsWithDelimiter(bytes, 1)) return malformed("no message type")
  const code = bytes[0]
  if (code !== CODE_S && code !== CODE_D && code !== CODE_A) return malformed(`unknown message type ${code}`)
  const seqnoEnd = indexOfDelimiter(bytes, 4)
  const seqno = parseNumber(bytes, 4, seqnoEnd < 0 ? bytes.length : seqnoEnd)
  if (seqno === undefined) return malformed("sequence number is not a decimal number")
  if (code === CODE_A) return seqnoEnd < 0 ? { _tag: "Ack", nextSeqno: seqno } : decodeAck(bytes, seqno, seqnoEnd + 3)
  if (seqnoEnd < 0) return malformed("message ends after the sequence number")
  if (code === CODE_D) return { _tag: "Data", seqno, bytes: bytes.subarray(seqnoEnd + 3) }
  return decodeStart(bytes, seqnoEnd + 3, seqno)
}

export const encodeStart = (start: Omit<StartMessage, "_tag">): Buffer =>
  Buffer.from(`s | ${start.seqno0} | ${start.name} | ${start.totalBytes}${start.wantsWindow ? " " : ""}`, "utf8")

const decimalDigits = (value: number): number => {
  let digits = 1
  for (let rest = value; rest >= 10; rest = Math.floor(rest / 10)) digits++
  return digits
}

/** Bytes the header `d | seqno | ` takes. */
export const dataHeaderBytes = (seqno: number): number => 7 + decimalDigits(seqno)

/**
 * Header plus a copy of the payload, in one allocation. The header's bytes are written one by
 * one: this runs for every datagram sent, and formatting a string and encoding it through a
 * native call cost (measured) about as much as copying the payload.
 */
export const encodeData = (seqno: number, payload: Uint8Array): Buffer => {
  const digits = decimalDigits(seqno)
  const headerBytes = 7 + digits
  const datagram = Buffer.allocUnsafe(headerBytes + payload.length)
  datagram[0] = CODE_D
  datagram.set(DELIMITER, 1)
  let rest = seqno
  for (let at = 3 + digits; at >= 4; at--) {
    datagram[at] = 0x30 + (rest % 10)
    rest = Math.floor(rest / 10)
  }
  datagram.set(DELIMITER, 4 + digits)
  datagram.set(payload, headerBytes)
  return datagram
}

export const encodeAck = (ack: Omit<AckMessage, "_tag">): Buffer => {
  let text = `a | ${ack.nextSeqno}`
  if (ack.bufSize !== undefined) text += ` | ${ack.bufSize}`
  if (ack.bufSize !== undefined && ack.window !== undefined) text += ` | ${ack.window}`
  return Buffer.from(text, "latin1")
}
