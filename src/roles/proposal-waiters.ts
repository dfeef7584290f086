/**
 * The proposals a Raft role has put in its log and not yet answered, by log index: the order
 * they were proposed in and are applied in. Each is answered once: with its result when its
 * entry is applied in the term it was proposed in, or with why that can no longer be known.
 */
import { Exit } from "effect"
import { KeyedFifo } from "../runtime/keyed-fifo.js"
import { OutcomeUnknown, ProposalLost, type RaftUnavailable } from "./raft-errors.js"

/**
 * How the loop answers a proposal or a read: a plain callback, called once, from the loop. The
 * Effect API wraps it in Effect.async; the HTTP hot path uses it directly (no fiber per request).
 */
export type Reply<A> = (exit: Exit.Exit<A, RaftUnavailable>) => void

interface Waiter {
  readonly term: number
  readonly deadlineMs: number
  readonly done: Reply<unknown>
}

export class ProposalWaiters {
  private readonly pending = new KeyedFifo<Waiter>()

  /** Proposals now at `firstIndex` on, in `term`; waiters there from older terms were overwritten. */
  add(firstIndex: number, term: number, deadlineMs: number, dones: ReadonlyArray<Reply<unknown>>): void {
    if ((this.pending.lastKey() ?? 0) >= firstIndex) {
      for (const [index, stale] of this.pending.takeFrom(firstIndex)) stale.done(Exit.fail(new ProposalLost({ index })))
    }
    dones.forEach((done, i) => this.pending.push(firstIndex + i, { term, deadlineMs, done }))
  }

  /** The entry at `index`, of `term`, was applied with `result`. */
  applied(index: number, term: number, result: unknown): void {
    const waiter = this.pending.take(index)
    if (waiter === undefined) return
    if (waiter.term === term) waiter.done(Exit.succeed(result))
    else waiter.done(Exit.fail(new ProposalLost({ index })))
  }

  /** Entries up to `index` arrived in a snapshot, never applied one by one: their fate is unknown. */
  coveredBySnapshot(index: number): void {
    for (let first = this.pending.firstKey(); first !== undefined && first <= index; first = this.pending.firstKey()) {
      this.pending.take(first)!.done(Exit.fail(new OutcomeUnknown({ index: first })))
    }
  }

  /**
   * A proposal whose entry is no longer in the log at its index with its term (truncated by a
   * new leader, or overwritten) can never commit: answered now rather than when (if ever) the
   * log grows back past its index.
   */
  discardLost(termAt: (index: number) => number | undefined): void {
    for (const [index, waiter] of this.pending.entries()) {
      if (termAt(index) === waiter.term) continue
      this.pending.take(index)
      waiter.done(Exit.fail(new ProposalLost({ index })))
    }
  }

  /** raft.proposalTimeout: past it the caller is told the outcome is unknown (the entry may still commit). */
  expire(nowMs: number): void {
    for (let index = this.pending.firstKey(); index !== undefined; index = this.pending.firstKey()) {
      if (this.pending.firstValue()!.deadlineMs > nowMs) return
      this.pending.take(index)!.done(Exit.fail(new OutcomeUnknown({ index })))
    }
  }

  /** Every one, outcome unknown: the role is rebuilding from the disk. */
  failAll(): void {
    for (const [index, waiter] of this.pending.entries()) waiter.done(Exit.fail(new OutcomeUnknown({ index })))
    this.pending.clear()
  }
}
