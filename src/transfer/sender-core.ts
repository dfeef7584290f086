/**
 * The sending side as a pure state machine (no I/O, no clock). Inputs are decoded acks from the
 * receiver's address and `Timeout` (the retry deadline passed with no progress); outputs say what
 * to send. The shell reads the file bytes for `SendData` and arms its retry timer on `ArmTimer`.
 *
 * Every message is sent at most `triesPerMessage` times; an ack is trusted only if it is the one
 * the message in flight asks for (a stale or duplicate ack is ignored, never taken as progress).
 * Windowed mode is go-back-N with cumulative acks and a fast retransmit after three duplicates.
 */
import { dataHeaderBytes, type AckMessage } from "./wire.js"

export interface SenderPlan {
  readonly seqno0: number
  readonly name: string
  readonly totalBytes: number
  readonly triesPerMessage: number
  /** The most this sender will keep in flight; 1 = plain stop-and-wait (never asks for more). */
  readonly window: number
}

export interface Layout {
  /** Payload bytes per data message (all but possibly the last). */
  readonly payloadBytes: number
  readonly chunkCount: number
}

export interface SenderState {
  readonly phase: "starting" | "sending" | "done" | "failed"
  readonly plan: SenderPlan
  /** Sends so far of the oldest unacknowledged message. */
  readonly tries: number
  readonly layout: Layout
  readonly bufSize: number
  readonly window: number
  /** Oldest unacknowledged data seqno. */
  readonly base: number
  readonly nextToSend: number
  readonly duplicateAcks: number
}

export type SenderInput = { readonly _tag: "Ack"; readonly ack: AckMessage } | { readonly _tag: "Timeout" }

export type SenderOutput =
  | { readonly _tag: "SendStart"; readonly wantsWindow: boolean }
  | { readonly _tag: "SendData"; readonly seqno: number; readonly offset: number; readonly length: number }
  | { readonly _tag: "ArmTimer" }
  | { readonly _tag: "Done" }
  | { readonly _tag: "GiveUp"; readonly reason: string }
  | { readonly _tag: "Ignored"; readonly reason: string }

export interface SenderStep {
  readonly state: SenderState
  readonly outputs: ReadonlyArray<SenderOutput>
}

const duplicateAcksForRetransmit = 3

/**
 * The payload size so that the whole datagram, header included, fits in `bufSize` for every
 * seqno of the transfer (the header grows with the seqno's digits). Undefined if nothing fits.
 */
export const layoutFor = (bufSize: number, seqno0: number, totalBytes: number): Layout | undefined => {
  let header = dataHeaderBytes(seqno0 + 1)
  for (;;) {
    const payloadBytes = bufSize - header
    if (payloadBytes <= 0) return undefined
    const chunkCount = Math.ceil(totalBytes / payloadBytes)
    const needed = dataHeaderBytes(seqno0 + Math.max(1, chunkCount))
    if (needed <= header) return { payloadBytes, chunkCount }
    header = needed
  }
}

export const initSender = (plan: SenderPlan): SenderStep => ({
  state: {
    phase: "starting",
    plan,
    tries: 1,
    layout: { payloadBytes: 0, chunkCount: 0 },
    bufSize: 0,
    window: 1,
    base: plan.seqno0 + 1,
    nextToSend: plan.seqno0 + 1,
    duplicateAcks: 0
  },
  outputs: [{ _tag: "SendStart", wantsWindow: plan.window > 1 }, { _tag: "ArmTimer" }]
})

const lastSeqno = (state: SenderState): number => state.plan.seqno0 + state.layout.chunkCount

/**
 * A copy with the window moved. Spelled out field by field because it runs on every ack: V8
 * builds `{ ...state, field }` through a slow runtime path (measured in the receiver core, whose
 * per-datagram copy it made about a tenth of the process's CPU).
 */
const withWindow = (state: SenderState, base: number, nextToSend: number, tries: number, duplicateAcks: number): SenderState => ({
  phase: state.phase,
  plan: state.plan,
  tries,
  layout: state.layout,
  bufSize: state.bufSize,
  window: state.window,
  base,
  nextToSend,
  duplicateAcks
})

/** Sends every message from `nextToSend` up to the window's end. */
const fillWindow = (state: SenderState, outputs: Array<SenderOutput>): SenderState => {
  let nextToSend = state.nextToSend
  const end = Math.min(state.base + state.window - 1, lastSeqno(state))
  for (; nextToSend <= end; nextToSend++) {
    const offset = (nextToSend - state.plan.seqno0 - 1) * state.layout.payloadBytes
    outputs.push({ _tag: "SendData", seqno: nextToSend, offset, length: Math.min(state.layout.payloadBytes, state.plan.totalBytes - offset) })
  }
  return withWindow(state, state.base, nextToSend, state.tries, state.duplicateAcks)
}

const ignore = (state: SenderState, reason: string): SenderStep => ({ state, outputs: [{ _tag: "Ignored", reason }] })

const onStartAck = (state: SenderState, ack: AckMessage): SenderStep => {
  if (ack.bufSize === undefined || ack.nextSeqno !== state.plan.seqno0 + 1) return ignore(state, "not the ack to our start")
  const layout = layoutFor(ack.bufSize, state.plan.seqno0, state.plan.totalBytes)
  if (layout === undefined) {
    return { state: { ...state, phase: "failed" }, outputs: [{ _tag: "GiveUp", reason: `receiver's buf_size ${ack.bufSize} is too small` }] }
  }
  const window = ack.window !== undefined && state.plan.window > 1 ? Math.max(1, Math.min(ack.window, state.plan.window)) : 1
  const ready: SenderState = { ...state, phase: "sending", tries: 1, layout, bufSize: ack.bufSize, window }
  if (layout.chunkCount === 0) return { state: { ...ready, phase: "done" }, outputs: [{ _tag: "Done" }] }
  const outputs: Array<SenderOutput> = []
  const next = fillWindow(ready, outputs)
  outputs.push({ _tag: "ArmTimer" })
  return { state: next, outputs }
}

const onDataAck = (state: SenderState, ack: AckMessage): SenderStep => {
  if (ack.bufSize !== undefined) return ignore(state, "stale start ack")
  const next = ack.nextSeqno
  if (next > state.base && next <= state.nextToSend) {
    const advanced = withWindow(state, next, state.nextToSend, 1, 0)
    if (next > lastSeqno(state)) return { state: { ...advanced, phase: "done" }, outputs: [{ _tag: "Done" }] }
    const outputs: Array<SenderOutput> = []
    const filled = fillWindow(advanced, outputs)
    outputs.push({ _tag: "ArmTimer" })
    return { state: filled, outputs }
  }
  if (next === state.base && state.window > 1 && state.nextToSend > state.base) {
    const duplicateAcks = state.duplicateAcks + 1
    if (duplicateAcks !== duplicateAcksForRetransmit) return ignore({ ...state, duplicateAcks }, "duplicate ack")
    const outputs: Array<SenderOutput> = []
    const resent = fillWindow({ ...state, nextToSend: state.base, duplicateAcks }, outputs)
    outputs.push({ _tag: "ArmTimer" })
    return { state: resent, outputs }
  }
  return ignore(state, "stale ack")
}

const onTimeout = (state: SenderState): SenderStep => {
  if (state.tries >= state.plan.triesPerMessage) {
    return { state: { ...state, phase: "failed" }, outputs: [{ _tag: "GiveUp", reason: "receiver not responding" }] }
  }
  const retry: SenderState = { ...state, tries: state.tries + 1, duplicateAcks: 0 }
  if (state.phase === "starting") {
    return { state: retry, outputs: [{ _tag: "SendStart", wantsWindow: state.plan.window > 1 }, { _tag: "ArmTimer" }] }
  }
  const outputs: Array<SenderOutput> = []
  const resent = fillWindow({ ...retry, nextToSend: state.base }, outputs)
  outputs.push({ _tag: "ArmTimer" })
  return { state: resent, outputs }
}

export const stepSender = (state: SenderState, input: SenderInput): SenderStep => {
  if (state.phase === "done" || state.phase === "failed") return ignore(state, "transfer is over")
  if (input._tag === "Timeout") return onTimeout(state)
  return state.phase === "starting" ? onStartAck(state, input.ack) : onDataAck(state, input.ack)
}
