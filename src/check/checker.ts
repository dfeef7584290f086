/**
 * `checkHistory`: is a key-value history linearizable? Registers are independent, so the
 * history is linearizable iff each key's sub-history is (Herlihy & Wing's locality; Porcupine's
 * P-compositionality). Each key is searched on its own within a step and memory budget.
 */
import { type Operation, operationProblem } from "./history.js"
import { type CheckLimits, defaultCheckLimits } from "./limits.js"
import { searchLinearization } from "./linearize.js"
import { compileRegisterHistory } from "./register-model.js"
import { countStaleReads } from "./stale-reads.js"
import { positionsWorthSearching } from "./unobserved-writes.js"
import { buildWitness, type Witness } from "./witness.js"

export type Verdict = "yes" | "no" | "unknown"

export interface CheckOptions {
  readonly limits?: Partial<CheckLimits>
}

export interface KeyResult {
  readonly key: string
  readonly verdict: Verdict
  /** Operations searched (after dropping failed ones, unknown reads, unobserved unknown writes). */
  readonly operations: number
  readonly droppedUnknownWrites: number
  readonly steps: number
  readonly staleReads: number
  /** Why the verdict is "unknown". */
  readonly reason?: string
}

export interface CheckResult {
  /** "no" if any key is not linearizable; "unknown" if any key ran out of budget or an
   * operation was malformed (dropping it could change the answer); else "yes". */
  readonly verdict: Verdict
  /** One entry per key, sorted by key. */
  readonly perKey: ReadonlyArray<KeyResult>
  /** For the first failing key (in key order). */
  readonly witness?: Witness
  readonly staleReads: number
  readonly operations: number
  /** ok:false operations: definitely no effect, so they constrain nothing. */
  readonly failedDropped: number
  /** gets of unknown outcome: nobody saw what they read. */
  readonly unknownReadsDropped: number
  readonly malformed: number
  readonly firstMalformed?: { readonly index: number; readonly problem: string }
}

interface Partitioned {
  readonly byKey: Map<string, { operations: Array<Operation>; sources: Array<number> }>
  failedDropped: number
  unknownReadsDropped: number
  malformed: number
  firstMalformed?: { readonly index: number; readonly problem: string }
}

const partition = (operations: ReadonlyArray<Operation>, limits: CheckLimits): Partitioned => {
  const result: Partitioned = { byKey: new Map(), failedDropped: 0, unknownReadsDropped: 0, malformed: 0 }
  operations.forEach((operation, index) => {
    const problem = operationProblem(operation, limits)
    if (problem !== undefined) {
      result.malformed++
      result.firstMalformed ??= { index, problem }
    } else if (operation.ok === false) {
      result.failedDropped++
    } else if (operation.ok === null && operation.op === "get") {
      result.unknownReadsDropped++
    } else {
      let group = result.byKey.get(operation.key)
      if (group === undefined) result.byKey.set(operation.key, group = { operations: [], sources: [] })
      group.operations.push(operation)
      group.sources.push(index)
    }
  })
  return result
}

interface KeyCheck {
  readonly result: KeyResult
  readonly witness?: Witness
}

const checkKey = (
  key: string,
  group: { operations: ReadonlyArray<Operation>; sources: ReadonlyArray<number> },
  limits: CheckLimits,
  stepsLeft: number
): KeyCheck => {
  const staleReads = countStaleReads(group.operations)
  const positions = positionsWorthSearching(group.operations)
  const kept = positions.map((position) => group.operations[position]!)
  const history = compileRegisterHistory(kept, positions.map((position) => group.sources[position]!))
  const dropped = group.operations.length - kept.length
  const search = searchLinearization(history, {
    maxSteps: Math.min(limits.maxStepsPerKey, stepsLeft),
    maxCacheBytes: limits.maxCacheBytesPerKey
  })
  const base = { key, operations: history.size, droppedUnknownWrites: dropped, steps: search.steps, staleReads }
  switch (search.verdict) {
    case "yes":
      return { result: { ...base, verdict: "yes" } }
    case "unknown":
      return { result: { ...base, verdict: "unknown", reason: search.reason } }
    case "no": {
      const witness = buildWitness({
        key,
        history,
        operations: kept,
        longestPrefix: search.longestPrefix,
        context: limits.witnessContext,
        blockedMax: limits.witnessBlockedMax
      })
      return { result: { ...base, verdict: "no" }, witness }
    }
  }
}

const overallVerdict = (perKey: ReadonlyArray<KeyResult>, malformed: number): Verdict => {
  if (perKey.some((key) => key.verdict === "no")) return "no"
  return malformed > 0 || perKey.some((key) => key.verdict === "unknown") ? "unknown" : "yes"
}

export const checkHistory = (operations: ReadonlyArray<Operation>, options: CheckOptions = {}): CheckResult => {
  const limits: CheckLimits = { ...defaultCheckLimits(), ...options.limits }
  const partitioned = partition(operations, limits)
  const keys = [...partitioned.byKey.keys()].sort()
  const perKey: Array<KeyResult> = []
  let witness: Witness | undefined
  let stepsLeft = limits.maxStepsTotal
  for (const key of keys) {
    const checked = checkKey(key, partitioned.byKey.get(key)!, limits, stepsLeft)
    stepsLeft = Math.max(0, stepsLeft - checked.result.steps)
    perKey.push(checked.result)
    witness ??= checked.witness
  }
  return {
    verdict: overallVerdict(perKey, partitioned.malformed),
    perKey,
    ...(witness === undefined ? {} : { witness }),
    staleReads: perKey.reduce((sum, key) => sum + key.staleReads, 0),
    operations: operations.length,
    failedDropped: partitioned.failedDropped,
    unknownReadsDropped: partitioned.unknownReadsDropped,
    malformed: partitioned.malformed,
    ...(partitioned.firstMalformed === undefined ? {} : { firstMalformed: partitioned.firstMalformed })
  }
}

/** The CLI's exit code for a verdict: 0 linearizable, 1 not, 2 unknown. */
export const exitCodeOf = (verdict: Verdict): 0 | 1 | 2 => (verdict === "yes" ? 0 : verdict === "no" ? 1 : 2)
