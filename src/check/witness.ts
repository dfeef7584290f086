/**
 * The evidence for a "no": on the failing key, the end of the longest linearizable prefix the
 * search found, the value it leaves, and the operations that could come next but cannot take
 * effect in that value. The first of them is the one whose return forced the issue (it had
 * returned, so it had to have taken effect by then).
 *
 * Every operation that could come next is rejected here: one that could take effect would
 * extend the prefix, and the search explores every extension, so the prefix would not be the
 * longest.
 */
import type { Operation } from "./history.js"
import { sortEvents } from "./linearize.js"
import { ABSENT, explainStep, type RegisterHistory, stepRegister } from "./register-model.js"

/** An operation and its position in the list given to `checkHistory`. */
export interface IndexedOperation {
  readonly index: number
  readonly operation: Operation
}

export interface BlockedOperation extends IndexedOperation {
  readonly reason: string
}

export interface Witness {
  readonly key: string
  /** Operations of the key that took part in the search. */
  readonly operationsSearched: number
  /** Length of the longest linearizable prefix. */
  readonly linearizedCount: number
  /** The last operations of that prefix, in linearization order. */
  readonly prefixTail: ReadonlyArray<IndexedOperation>
  readonly valueAfterPrefix: string | null
  /** Operations that could come next but cannot take effect; the forcing one first. */
  readonly blocked: ReadonlyArray<BlockedOperation>
}

export interface WitnessInput {
  readonly key: string
  readonly history: RegisterHistory
  /** Operations aligned with the history's positions. */
  readonly operations: ReadonlyArray<Operation>
  readonly longestPrefix: ReadonlyArray<number>
  readonly context: number
  readonly blockedMax: number
}

const replay = (history: RegisterHistory, prefix: ReadonlyArray<number>): number =>
  prefix.reduce(
    (state, op) => stepRegister(history.kind[op]!, history.observed[op]!, history.written[op]!, state),
    ABSENT
  )

/** Positions that could come next after the prefix: called before the first pending return. */
const nextCandidates = (history: RegisterHistory, linearized: ReadonlySet<number>): Array<number> => {
  const candidates: Array<number> = []
  for (const event of sortEvents(history)) {
    const op = event >> 1
    if (linearized.has(op)) continue
    if ((event & 1) === 0) {
      candidates.push(op)
      continue
    }
    if (history.ret[op] === Infinity) break
    // The operation whose return ends the window goes first.
    return [op, ...candidates.filter((candidate) => candidate !== op)]
  }
  return candidates
}

export const buildWitness = (input: WitnessInput): Witness => {
  const { history, operations, longestPrefix } = input
  const at = (op: number): IndexedOperation => ({ index: history.sources[op]!, operation: operations[op]! })
  const state = replay(history, longestPrefix)
  const value = history.values[state] ?? null
  const blocked = nextCandidates(history, new Set(longestPrefix))
    .slice(0, input.blockedMax)
    .map((op) => ({ ...at(op), reason: explainStep(operations[op]!, value) }))
  return {
    key: input.key,
    operationsSearched: history.size,
    linearizedCount: longestPrefix.length,
    prefixTail: longestPrefix.slice(Math.max(0, longestPrefix.length - input.context)).map(at),
    valueAfterPrefix: value,
    blocked
  }
}
