/**
 * Is one key's history linearizable? Wing & Gong's search with Lowe's memo, as in Porcupine
 * (anishathalye/porcupine, checker.go `checkSingle`):
 *
 * Call and return events sit in one doubly linked list in time order. Scanning from the head,
 * a call whose operation can take effect in the current state is "lifted" (its call and
 * return leave the list) and the scan restarts; reaching a return means that operation was
 * not linearized before it returned, so the last lift is undone (backtrack). The memo skips
 * (linearized set, state) pairs already explored.
 *
 * Unknown outcomes have their return at +infinity: they may be lifted at any point after their
 * call, and once the scan reaches such a return every completed operation has been lifted, so
 * the rest "never took effect" and the history is linearizable.
 *
 * Pure and deterministic; bounded by a step budget and a memo-size budget.
 */
import { LinearizedSet } from "./linearized-set.js"
import { CacheAdd, MemoCache } from "./memo-cache.js"
import { ABSENT, REJECT, type RegisterHistory, stepRegister } from "./register-model.js"

export interface SearchBudget {
  readonly maxSteps: number
  readonly maxCacheBytes: number
}

export type KeySearch =
  | { readonly verdict: "yes"; readonly steps: number }
  | {
    readonly verdict: "no"
    readonly steps: number
    /** Positions (in the RegisterHistory) of the longest linearizable prefix, in order. */
    readonly longestPrefix: ReadonlyArray<number>
  }
  | { readonly verdict: "unknown"; readonly steps: number; readonly reason: string }

const NIL = -1

/** Event codes `2 * op + (isReturn ? 1 : 0)` in time order; on equal times calls go first, so
 * operations that touch the same instant count as concurrent. */
export const sortEvents = (history: RegisterHistory): Int32Array => {
  const events = new Int32Array(2 * history.size)
  for (let i = 0; i < events.length; i++) events[i] = i
  const timeOf = (event: number): number => (event & 1) === 0 ? history.call[event >> 1]! : history.ret[event >> 1]!
  return events.sort((a, b) => timeOf(a) - timeOf(b) || (a & 1) - (b & 1) || a - b)
}

/** The event list with dancing-links removal: lifts are undone in reverse order. */
class EventList {
  readonly head: number
  readonly next: Int32Array
  readonly prev: Int32Array
  readonly opOf: Int32Array
  readonly isReturn: Uint8Array
  private readonly returnNodeOf: Int32Array

  constructor(events: Int32Array) {
    const nodes = events.length
    this.head = nodes
    this.next = new Int32Array(nodes + 1)
    this.prev = new Int32Array(nodes + 1)
    this.opOf = new Int32Array(nodes)
    this.isReturn = new Uint8Array(nodes)
    this.returnNodeOf = new Int32Array(nodes / 2)
    for (let node = 0; node < nodes; node++) {
      const event = events[node]!
      this.opOf[node] = event >> 1
      this.isReturn[node] = event & 1
      if ((event & 1) === 1) this.returnNodeOf[event >> 1] = node
      this.next[node] = node + 1 < nodes ? node + 1 : NIL
      this.prev[node] = node === 0 ? this.head : node - 1
    }
    this.next[this.head] = nodes > 0 ? 0 : NIL
    this.prev[this.head] = NIL
  }

  private unlink(node: number): void {
    const after = this.next[node]!
    this.next[this.prev[node]!] = after
    if (after !== NIL) this.prev[after] = this.prev[node]!
  }

  private relink(node: number): void {
    const after = this.next[node]!
    this.next[this.prev[node]!] = node
    if (after !== NIL) this.prev[after] = node
  }

  lift(callNode: number): void {
    this.unlink(callNode)
    this.unlink(this.returnNodeOf[this.opOf[callNode]!]!)
  }

  unlift(callNode: number): void {
    this.relink(this.returnNodeOf[this.opOf[callNode]!]!)
    this.relink(callNode)
  }
}

/**
 * The longest linearizable prefix seen at any dead end. Copying the whole stack at every new
 * record would be quadratic; the stack below the lowest depth since the last record is
 * unchanged, so only the part above it is copied.
 */
class LongestPrefix {
  private readonly ops: Int32Array
  private length = 0
  private unchangedBelow = 0

  constructor(size: number) {
    this.ops = new Int32Array(size)
  }

  popped(depth: number): void {
    if (depth < this.unchangedBelow) this.unchangedBelow = depth
  }

  record(stackOps: Int32Array, depth: number): void {
    if (depth <= this.length) return
    for (let i = this.unchangedBelow; i < depth; i++) this.ops[i] = stackOps[i]!
    this.length = depth
    this.unchangedBelow = depth
  }

  get prefix(): ReadonlyArray<number> {
    return Array.from(this.ops.subarray(0, this.length))
  }
}

export const searchLinearization = (history: RegisterHistory, budget: SearchBudget): KeySearch => {
  const size = history.size
  const list = new EventList(sortEvents(history))
  const { next, opOf, isReturn, head } = list
  const { kind, observed, written, ret } = history
  const cache = new MemoCache(budget.maxCacheBytes)
  const linearized = new LinearizedSet(history)
  const stackNode = new Int32Array(size)
  const stackOp = new Int32Array(size)
  const stackState = new Int32Array(size)
  const longest = new LongestPrefix(size)
  let depth = 0
  let state = ABSENT
  let steps = 0
  let node = next[head]!
  while (next[head] !== NIL) {
    if (++steps > budget.maxSteps) return { verdict: "unknown", steps, reason: `search exceeded ${budget.maxSteps} steps` }
    const op = opOf[node]!
    if (isReturn[node] === 0) {
      const after = stepRegister(kind[op]!, observed[op]!, written[op]!, state)
      if (after !== REJECT) {
        linearized.add(op)
        const added = cache.add(linearized, after)
        if (added === CacheAdd.full) {
          return { verdict: "unknown", steps, reason: `search memo exceeded ${budget.maxCacheBytes} bytes` }
        }
        if (added === CacheAdd.added) {
          stackNode[depth] = node
          stackOp[depth] = op
          stackState[depth++] = state
          state = after
          list.lift(node)
          node = next[head]!
          continue
        }
        linearized.remove(op)
      }
      node = next[node]!
      continue
    }
    // Only unknown-outcome operations are left: they may simply never have taken effect.
    if (ret[op] === Infinity) break
    longest.record(stackOp, depth)
    if (depth === 0) return { verdict: "no", steps, longestPrefix: longest.prefix }
    longest.popped(--depth)
    const undone = stackNode[depth]!
    state = stackState[depth]!
    linearized.remove(stackOp[depth]!)
    list.unlift(undone)
    node = next[undone]!
  }
  return { verdict: "yes", steps }
}
