/**
 * The receiving side of one transfer session as a pure state machine (no I/O, no clock).
 * The shell feeds it decoded datagrams from one sender address and `Expired` when the session's
 * deadline passed, and performs the outputs in order: open / write / commit the file BEFORE the
 * ack that depends on them is sent, so a final ack means the file is stored.
 *
 * Stop-and-wait (window 1) accepts exactly the next seqno. Windowed sessions are go-back-N:
 * still only the next seqno is written, and a datagram from later in the window is answered
 * with the current `a | next` so the sender notices the gap at once.
 */
import { filenameProblem } from "./filename.js"
import type { StartMessage } from "./wire.js"

export interface ReceiverLimits {
  readonly bufSize: number
  readonly maxFileBytes: number
  readonly maxFilenameBytes: number
  /** The largest window granted to a sender that asks; 1 disables windowed mode. */
  readonly windowSize: number
}

export interface SessionState {
  readonly phase: "receiving" | "finished"
  readonly start: StartMessage
  readonly nextSeqno: number
  readonly receivedBytes: number
  /** 1 = stop-and-wait. */
  readonly window: number
}

export type SessionInput =
  | { readonly _tag: "Start"; readonly start: StartMessage }
  | { readonly _tag: "Data"; readonly seqno: number; readonly bytes: Uint8Array }
  /** The idle deadline (receiving) or the retention deadline (finished) passed. */
  | { readonly _tag: "Expired" }

export type SessionOutput =
  | { readonly _tag: "Open"; readonly name: string; readonly totalBytes: number }
  | { readonly _tag: "Write"; readonly offset: number; readonly bytes: Uint8Array }
  | { readonly _tag: "Commit" }
  | { readonly _tag: "AckStart"; readonly nextSeqno: number; readonly bufSize: number; readonly window?: number }
  | { readonly _tag: "AckData"; readonly nextSeqno: number }
  | { readonly _tag: "Abort"; readonly reason: string }
  /** The session is over; forget it. */
  | { readonly _tag: "Close" }
  /** Dropped without effect; counted by the shell. */
  | { readonly _tag: "Ignored"; readonly reason: string }

export interface Step {
  readonly state: SessionState
  readonly outputs: ReadonlyArray<SessionOutput>
}

export type Opening = { readonly _tag: "Refused"; readonly reason: string } | ({ readonly _tag: "Opened" } & Step)

/** Same session parameters: a retransmitted start rather than a new transfer. */
export const sameStart = (a: StartMessage, b: StartMessage): boolean =>
  a.seqno0 === b.seqno0 && a.name === b.name && a.totalBytes === b.totalBytes && a.wantsWindow === b.wantsWindow

const ackStart = (state: SessionState, limits: ReceiverLimits): SessionOutput =>
  state.start.wantsWindow
    ? { _tag: "AckStart", nextSeqno: state.start.seqno0 + 1, bufSize: limits.bufSize, window: state.window }
    : { _tag: "AckStart", nextSeqno: state.start.seqno0 + 1, bufSize: limits.bufSize }

/**
 * A start from an address without a session. `grantedWindow` lets the shell shrink the window to
 * what its socket buffer can hold.
 */
export const openSession = (start: StartMessage, limits: ReceiverLimits, grantedWindow = limits.windowSize): Opening => {
  const problem = filenameProblem(start.name, limits.maxFilenameBytes)
  if (problem !== undefined) return { _tag: "Refused", reason: problem }
  if (start.totalBytes > limits.maxFileBytes) {
    return { _tag: "Refused", reason: `size ${start.totalBytes} exceeds the limit of ${limits.maxFileBytes} bytes` }
  }
  if (start.seqno0 + start.totalBytes + 1 > Number.MAX_SAFE_INTEGER) return { _tag: "Refused", reason: "sequence numbers would overflow" }
  const window = start.wantsWindow ? Math.max(1, Math.min(limits.windowSize, grantedWindow)) : 1
  const finished = start.totalBytes === 0
  const state: SessionState = { phase: finished ? "finished" : "receiving", start, nextSeqno: start.seqno0 + 1, receivedBytes: 0, window }
  const outputs: Array<SessionOutput> = [{ _tag: "Open", name: start.name, totalBytes: start.totalBytes }]
  if (finished) outputs.push({ _tag: "Commit" })
  outputs.push(ackStart(state, limits))
  return { _tag: "Opened", state, outputs }
}

const onData = (state: SessionState, seqno: number, bytes: Uint8Array): Step => {
  const ack: SessionOutput = { _tag: "AckData", nextSeqno: state.nextSeqno }
  if (seqno <= state.start.seqno0) return { state, outputs: [{ _tag: "Ignored", reason: "data seqno before the session's first" }] }
  if (seqno < state.nextSeqno) return { state, outputs: [ack] }
  if (state.phase === "finished") return { state, outputs: [{ _tag: "Ignored", reason: "data after the last byte" }] }
  if (seqno > state.nextSeqno) {
    return seqno < state.nextSeqno + state.window
      ? { state, outputs: [ack] }
      : { state, outputs: [{ _tag: "Ignored", reason: "data seqno out of window" }] }
  }
  const remainingBytes = state.start.totalBytes - state.receivedBytes
  if (bytes.length === 0) return { state, outputs: [{ _tag: "Ignored", reason: "empty data message" }] }
  if (bytes.length > remainingBytes) return { state, outputs: [{ _tag: "Ignored", reason: "data beyond the announced size" }] }
  const receivedBytes = state.receivedBytes + bytes.length
  const finished = receivedBytes === state.start.totalBytes
  // Spelled out: V8 builds `{ ...state, field }` through a slow runtime path, and this runs
  // for every datagram (measured: about a tenth of the receiver's CPU).
  const next: SessionState = { phase: finished ? "finished" : "receiving", start: state.start, nextSeqno: seqno + 1, receivedBytes, window: state.window }
  const outputs: Array<SessionOutput> = [{ _tag: "Write", offset: state.receivedBytes, bytes }]
  if (finished) outputs.push({ _tag: "Commit" })
  outputs.push({ _tag: "AckData", nextSeqno: next.nextSeqno })
  return { state: next, outputs }
}

export const stepSession = (state: SessionState, input: SessionInput, limits: ReceiverLimits): Step => {
  switch (input._tag) {
    case "Start":
      // The start ack can be lost, so a repeated start is answered again. A different start
      // from the same address is a confused or hostile peer: the running session wins.
      return sameStart(state.start, input.start)
        ? { state, outputs: [ackStart(state, limits)] }
        : { state, outputs: [{ _tag: "Ignored", reason: "a different start during a session" }] }
    case "Data":
      return onData(state, input.seqno, input.bytes)
    case "Expired":
      return state.phase === "receiving"
        ? { state, outputs: [{ _tag: "Abort", reason: "sender idle" }, { _tag: "Close" }] }
        : { state, outputs: [{ _tag: "Close" }] }
  }
}

/** Whether a step counts as the sender being alive (refreshes the idle deadline). */
export const isActivity = (outputs: ReadonlyArray<SessionOutput>): boolean => outputs.some((output) => output._tag !== "Ignored")
