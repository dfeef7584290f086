/**
 * The Raft role's disk writes, off its loop: the loop queues each batch's persist records and
 * goes on; one writer fiber writes everything queued so far as one group commit, then reports
 * how far the log is durable. The loop decides whether to wait (`drained`): a follower's answer,
 * a vote or a term change depends on the write and waits; a leader's own new entries do not,
 * because the core counts them toward a commit only once reported durable (LogDurable), so the
 * followers' fsyncs and the leader's run side by side and a slow disk of three is outvoted.
 */
import { Effect } from "effect"
import type { RaftOutput } from "../raft/index.js"
import { makeMailbox } from "../runtime/mailbox.js"
import type { StorageError } from "../storage/Storage.js"
import type { WalError } from "../storage/wal.js"
import type { BatchWrite } from "./batch-writer.js"
import { isEmptyBatch } from "./persist-batch.js"

export interface LogWriter {
  /** Queues the persist records of `outputs`; once written, the log is durable up to `index`, written in `term`. */
  readonly enqueue: (outputs: ReadonlyArray<RaftOutput>, index: number, term: number) => void
  /** Resolves once every queued write is done. */
  readonly drained: Effect.Effect<void>
  /** The writer fiber; fails with the first failed write (the role then rebuilds from disk). */
  readonly run: Effect.Effect<never, StorageError | WalError>
  /** Forgets queued writes: the role is rebuilding from what the disk holds. */
  readonly reset: () => void
}

/** Whether an output has anything to write. */
export const needsWrite = (output: RaftOutput): boolean => !isEmptyBatch(output.persist) || output.persist.snapshot !== undefined

/** A write the loop need not wait for: entries only (no vote, term, truncation or snapshot). */
export const onlyEntries = (output: RaftOutput): boolean =>
  output.persist.hardState === undefined && output.persist.truncateFrom === undefined && output.persist.snapshot === undefined

export const makeLogWriter = (
  write: (outputs: ReadonlyArray<RaftOutput>) => BatchWrite | undefined,
  onDurable: (index: number, term: number) => void
): LogWriter => {
  let queued: Array<RaftOutput> = []
  let durable = { index: 0, term: 0 }
  let writing = false
  let drainWaiters: Array<() => void> = []
  // Holds at most one wake-up: the writer takes everything queued when it wakes.
  const wake = makeMailbox<true>(1)

  const settleDrainWaiters = () => {
    if (writing || queued.length > 0 || drainWaiters.length === 0) return
    const waiters = drainWaiters
    drainWaiters = []
    for (const waiter of waiters) waiter()
  }

  const writeQueued = Effect.suspend(() => {
    const outputs = queued
    const target = durable
    queued = []
    if (outputs.length === 0) return Effect.void
    writing = true
    return (write(outputs) ?? Effect.void).pipe(
      Effect.tap(() => onDurable(target.index, target.term)),
      Effect.ensuring(Effect.sync(() => {
        writing = false
        settleDrainWaiters()
      }))
    )
  })

  const drained = Effect.async<void>((resume) => {
    if (!writing && queued.length === 0) return resume(Effect.void)
    const waiter = () => resume(Effect.void)
    drainWaiters.push(waiter)
    return Effect.sync(() => { drainWaiters = drainWaiters.filter((other) => other !== waiter) })
  })

  return {
    enqueue: (outputs, index, term) => {
      for (const output of outputs) if (needsWrite(output)) queued.push(output)
      durable = { index, term }
      wake.offer(true)
    },
    drained,
    run: Effect.forever(Effect.zipRight(wake.take, writeQueued)),
    reset: () => {
      queued = []
      durable = { index: 0, term: 0 }
      writing = false
      drainWaiters = []
    }
  }
}
