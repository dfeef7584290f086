/**
 * Turning a run's records into figures: per fault, the window in which reads and writes failed
 * or stalled; latency percentiles; error counts. Pure functions of the records.
 */
import type { Operation } from "../check/history.js"
import type { Attempt, AttemptOutcome } from "./attempts.js"
import type { FaultKind } from "./settings.js"

export interface ExecutedFault {
  readonly id: number
  readonly kind: FaultKind
  /** The node it hit (host:port), or null when it was skipped. */
  readonly node: string | null
  readonly startMs: number
  readonly endMs: number
  readonly skipped?: string
}

export interface Unavailability {
  /** Start of the first failed or stalled attempt after the fault began, or null: no impact. */
  readonly firstBadMs: number | null
  /** End of the first good attempt started after it, or null (not recovered in the horizon). */
  readonly recoveredMs: number | null
  /** recovered - firstBad; 0 when there was no impact, null when it never recovered. */
  readonly windowMs: number | null
}

export interface FaultImpact {
  readonly fault: ExecutedFault
  readonly reads: Unavailability
  readonly writes: Unavailability
}

const isGood = (attempt: Attempt, stallMs: number) =>
  attempt.outcome === "ok" && attempt.endMs - attempt.startMs <= stallMs

/**
 * The first failed/stalled attempt in [from, until), then the first good one started after it.
 * A bad attempt still running at `until` is left to whatever started then (the next fault).
 */
export const unavailability = (
  attempts: ReadonlyArray<Attempt>,
  fromMs: number,
  untilMs: number,
  stallMs: number
): Unavailability => {
  const inRange = attempts.filter((a) => a.startMs >= fromMs && a.startMs < untilMs).sort((a, b) => a.startMs - b.startMs)
  const firstBad = inRange.find((a) => !isGood(a, stallMs) && a.endMs < untilMs)
  if (firstBad === undefined) return { firstBadMs: null, recoveredMs: null, windowMs: 0 }
  const recoveries = inRange.filter((a) => a.startMs >= firstBad.startMs && isGood(a, stallMs)).map((a) => a.endMs)
  if (recoveries.length === 0) return { firstBadMs: firstBad.startMs, recoveredMs: null, windowMs: null }
  const recoveredMs = Math.min(...recoveries)
  return { firstBadMs: firstBad.startMs, recoveredMs, windowMs: recoveredMs - firstBad.startMs }
}

/** Each fault is judged up to the next fault's start (or the end of the run). */
export const faultImpacts = (
  faults: ReadonlyArray<ExecutedFault>,
  attempts: ReadonlyArray<Attempt>,
  runEndMs: number,
  stallMs: number
): ReadonlyArray<FaultImpact> => {
  const reads = attempts.filter((a) => a.kind === "read")
  const writes = attempts.filter((a) => a.kind === "write")
  return faults.map((fault, index) => {
    const horizon = faults[index + 1]?.startMs ?? runEndMs
    return {
      fault,
      reads: unavailability(reads, fault.startMs, horizon, stallMs),
      writes: unavailability(writes, fault.startMs, horizon, stallMs)
    }
  })
}

export interface Percentiles {
  readonly count: number
  readonly p50: number | null
  readonly p90: number | null
  readonly p99: number | null
  readonly max: number | null
}

/** Nearest-rank percentiles (the value at rank ceil(p * n)). */
export const percentiles = (samples: ReadonlyArray<number>): Percentiles => {
  const sorted = [...samples].sort((a, b) => a - b)
  const rank = (p: number) => sorted.length === 0 ? null : sorted[Math.max(0, Math.ceil(p * sorted.length) - 1)]!
  return { count: sorted.length, p50: rank(0.5), p90: rank(0.9), p99: rank(0.99), max: rank(1) }
}

export const operationLatencies = (operations: ReadonlyArray<Operation>, kind: "get" | "put"): Percentiles =>
  percentiles(operations.filter((op) => op.op === kind && op.ok === true && typeof op.ret === "number")
    .map((op) => op.ret! - op.call))

export interface ErrorCounts {
  readonly attempts: Record<"read" | "write", Record<AttemptOutcome, number>>
  readonly operations: { readonly completed: number; readonly failed: number; readonly unknown: number }
}

const zeroOutcomes = (): Record<AttemptOutcome, number> =>
  ({ ok: 0, rejected: 0, unavailable: 0, timeout: 0, unreachable: 0 })

export const errorCounts = (attempts: ReadonlyArray<Attempt>, operations: ReadonlyArray<Operation>): ErrorCounts => {
  const byKind = { read: zeroOutcomes(), write: zeroOutcomes() }
  for (const attempt of attempts) byKind[attempt.kind][attempt.outcome]++
  return {
    attempts: byKind,
    operations: {
      completed: operations.filter((op) => op.ok === true).length,
      failed: operations.filter((op) => op.ok === false).length,
      unknown: operations.filter((op) => op.ok === null).length
    }
  }
}
