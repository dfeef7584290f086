/**
 * The sequential specification the checker compares against: one register per key, initially
 * absent (null). Operations of one key are compiled to small integers (values interned per key)
 * so the search compares numbers, not strings.
 */
import type { Operation } from "./history.js"

/** Value id of "absent"; strings get ids from 1. */
export const ABSENT = 0
/** `observed` of a write whose old value was not reported: any state is fine. */
export const ANY = -1
/** Step result: the operation cannot happen in this state. */
export const REJECT = -1

export const StepKind = {
  /** A completed get: the state must equal `observed`. */
  read: 0,
  /** put/del: the state must equal `observed` (unless ANY); it becomes `written`. */
  write: 1,
  /** A cas that returned "true": the state must equal `observed` (expect). */
  casSuccess: 2,
  /** A cas that returned "false": the state must differ from `observed`. */
  casFailure: 3,
  /** A cas of unknown outcome: writes only if the state equals `observed`. */
  casMaybe: 4
} as const

/** One key's operations as parallel arrays, indexed by position in `sources`. */
export interface RegisterHistory {
  readonly size: number
  readonly kind: Int8Array
  readonly observed: Int32Array
  readonly written: Int32Array
  readonly call: Float64Array
  /** Infinity for unknown outcomes: they may take effect any time after `call`, or never. */
  readonly ret: Float64Array
  /** Index of each operation in the caller's operation list. */
  readonly sources: Int32Array
  /** Value id -> value (index 0 = null). */
  readonly values: ReadonlyArray<string | null>
}

export const stepRegister = (kind: number, observed: number, written: number, state: number): number => {
  switch (kind) {
    case StepKind.read:
      return state === observed ? state : REJECT
    case StepKind.write:
      return observed === ANY || observed === state ? written : REJECT
    case StepKind.casSuccess:
      return state === observed ? written : REJECT
    case StepKind.casFailure:
      return state !== observed ? state : REJECT
    default:
      return state === observed ? written : state
  }
}

const kindOf = (operation: Operation): number => {
  switch (operation.op) {
    case "get":
      return StepKind.read
    case "put":
    case "del":
      return StepKind.write
    case "cas":
      if (operation.ok !== true) return StepKind.casMaybe
      return operation.output === "true" ? StepKind.casSuccess : StepKind.casFailure
  }
}

/** What the operation requires of the state (null = absent, undefined = nothing). */
const observedValue = (operation: Operation): string | null | undefined => {
  switch (operation.op) {
    case "get":
      return operation.output ?? null
    case "put":
    case "del":
      return operation.ok === true ? operation.output : undefined
    case "cas":
      return operation.expect ?? null
  }
}

export const writtenValue = (operation: Operation): string | null =>
  operation.op === "put" || operation.op === "cas" ? operation.value ?? null : null

/**
 * Compiles operations of ONE key. Callers pass only operations that can matter: completed ones
 * and unknown-outcome writes (failed operations and unknown reads constrain nothing).
 */
export const compileRegisterHistory = (
  operations: ReadonlyArray<Operation>,
  sources: ReadonlyArray<number>
): RegisterHistory => {
  const size = operations.length
  const values: Array<string | null> = [null]
  const ids = new Map<string, number>()
  const intern = (value: string | null | undefined): number => {
    if (value === undefined) return ANY
    if (value === null) return ABSENT
    let id = ids.get(value)
    if (id === undefined) {
      id = values.length
      values.push(value)
      ids.set(value, id)
    }
    return id
  }
  const history = {
    size,
    kind: new Int8Array(size),
    observed: new Int32Array(size),
    written: new Int32Array(size),
    call: new Float64Array(size),
    ret: new Float64Array(size),
    sources: Int32Array.from(sources),
    values
  }
  operations.forEach((operation, i) => {
    history.kind[i] = kindOf(operation)
    history.observed[i] = intern(observedValue(operation))
    history.written[i] = intern(writtenValue(operation))
    history.call[i] = operation.call
    history.ret[i] = operation.ok === true ? operation.ret ?? Infinity : Infinity
  })
  return history
}

const show = (value: string | null): string => (value === null ? "absent" : JSON.stringify(value))

/** Why `operation` cannot take effect when the register holds `state` (for witnesses). */
export const explainStep = (operation: Operation, state: string | null): string => {
  const observed = observedValue(operation)
  const kind = kindOf(operation)
  if (kind === StepKind.casFailure && observed === state) {
    return `cas failed although the value was ${show(state)} as expected`
  }
  if (kind === StepKind.casFailure || kind === StepKind.casMaybe || observed === undefined || observed === state) {
    return `can take effect (the value is ${show(state)})`
  }
  const what = kind === StepKind.read ? "read" : kind === StepKind.casSuccess ? "cas expected" : "saw old value"
  return `${what} ${show(observed)} but the value is ${show(state)}`
}
