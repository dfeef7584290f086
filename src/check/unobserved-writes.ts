/**
 * Drops unknown-outcome writes that no operation could have observed, before the search.
 * Each unknown write stays "pending" to the end of the history and multiplies the states the
 * search explores, so removing the ones that cannot matter keeps big histories tractable.
 *
 * Why it is sound, for a key with no failed cas: say unknown write U wrote u, and no completed
 * get read u, no completed put/del reported u as its old value, and no cas expected u. Take any
 * valid order that includes U. The operation right after U sees u, so it constrains nothing
 * about u: it is an unconditional write (which hides U), an unknown cas whose expect is not u
 * (a no-op; drop it too, unknown operations may never happen), or the end. So dropping U
 * leaves a valid order, and conversely an order of the rest is one where U never took effect.
 * A failed cas observes "not x", which u could satisfy, so keys with one are left alone.
 */
import type { Operation } from "./history.js"
import { writtenValue } from "./register-model.js"

const isUnknownWrite = (operation: Operation): boolean => operation.ok === null && operation.op !== "get"

/** Values some operation requires the register to hold (null = absent). */
const observedValues = (operations: ReadonlyArray<Operation>): Set<string | null> => {
  const observed = new Set<string | null>()
  for (const operation of operations) {
    if (operation.op === "cas") observed.add(operation.expect ?? null)
    else if (operation.ok === true && operation.output !== undefined) observed.add(operation.output)
  }
  return observed
}

/** Positions of the operations of ONE key worth searching (the others are unobserved unknown writes). */
export const positionsWorthSearching = (operations: ReadonlyArray<Operation>): Array<number> => {
  const all = operations.map((_, position) => position)
  const hasFailedCas = operations.some((op) => op.op === "cas" && op.ok === true && op.output === "false")
  if (hasFailedCas) return all
  const observed = observedValues(operations)
  return all.filter((position) => {
    const operation = operations[position]!
    return !isUnknownWrite(operation) || observed.has(writtenValue(operation))
  })
}
