/**
 * Stale reads, counted apart from the search (a number an operator can read at a glance, and a
 * cross-check of the search: every stale read makes a history non-linearizable).
 *
 * A completed get G that read value v is stale when some write W that definitely took effect
 * (completed put/del, successful cas) was called after every write that could have produced v
 * had returned, and itself returned before G was called. Then in every order consistent with
 * real time all producers of v come before W, and W before G, and W wrote something other
 * than v (it is not a producer), so G cannot have read v: v was already overwritten.
 *
 * Producers of v: completed writes of v and unknown-outcome writes of v (which may take effect
 * as late as they like, so they never count as finished), and for null also the initial state
 * (finished at -infinity). A value nobody wrote is a phantom, not a stale read, and is not
 * counted here (the search still rejects it).
 */
import type { Operation } from "./history.js"
import { writtenValue } from "./register-model.js"

const tookEffect = (operation: Operation): boolean =>
  operation.ok === true && (operation.op === "put" || operation.op === "del" || operation.output === "true")

const mayHaveWritten = (operation: Operation): boolean =>
  operation.op !== "get" && (operation.ok === null || tookEffect(operation))

const finishedAt = (operation: Operation): number => (operation.ok === true ? operation.ret ?? Infinity : Infinity)

/** Latest return among the producers of each value (null's producers include the initial state). */
const lastProducerReturn = (operations: ReadonlyArray<Operation>): Map<string | null, number> => {
  const latest = new Map<string | null, number>([[null, -Infinity]])
  for (const operation of operations) {
    if (!mayHaveWritten(operation)) continue
    const value = writtenValue(operation)
    latest.set(value, Math.max(latest.get(value) ?? -Infinity, finishedAt(operation)))
  }
  return latest
}

/** Count of stale reads among the operations of ONE key. */
export const countStaleReads = (operations: ReadonlyArray<Operation>): number => {
  const lastProducer = lastProducerReturn(operations)
  const overwrites = operations.filter(tookEffect).sort((a, b) => finishedAt(a) - finishedAt(b))
  // latestCallBy[i]: the latest call among the first i overwrites by return time.
  const latestCallBy = new Float64Array(overwrites.length + 1).fill(-Infinity)
  overwrites.forEach((write, i) => {
    latestCallBy[i + 1] = Math.max(latestCallBy[i]!, write.call)
  })
  let stale = 0
  for (const read of operations) {
    if (read.op !== "get" || read.ok !== true) continue
    const producedBy = lastProducer.get(read.output ?? null)
    if (producedBy === undefined) continue
    if (latestCallBy[returnedBefore(overwrites, read.call)]! > producedBy) stale++
  }
  return stale
}

/** How many of `sortedWrites` (by return time) returned strictly before `time`. */
const returnedBefore = (sortedWrites: ReadonlyArray<Operation>, time: number): number => {
  let low = 0
  let high = sortedWrites.length
  while (low < high) {
    const middle = (low + high) >> 1
    if (finishedAt(sortedWrites[middle]!) < time) low = middle + 1
    else high = middle
  }
  return low
}
