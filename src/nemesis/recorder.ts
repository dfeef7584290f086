/**
 * The run's records and its one clock. Times are milliseconds since the workload began, read
 * from Effect's Clock (process.hrtime underneath: monotonic), so history, attempts and faults
 * line up. The history is bounded: once full, clients stop starting operations (a history with
 * operations left out could not be judged).
 */
import { Clock, Effect } from "effect"
import type { Operation } from "../check/history.js"
import { type Attempt, AttemptLog } from "./attempts.js"

export class RunRecorder {
  readonly operations: Array<Operation> = []
  readonly attempts: AttemptLog
  /** Answers that were not `KEY=...` although the status said success. */
  malformedAnswers = 0

  constructor(readonly originNanos: bigint, readonly maxOperations: number, maxAttempts: number) {
    this.attempts = new AttemptLog(maxAttempts)
  }

  get full(): boolean {
    return this.operations.length >= this.maxOperations
  }

  record(operation: Operation): void {
    if (!this.full) this.operations.push(operation)
  }

  attempt(attempt: Attempt): void {
    this.attempts.add(attempt)
  }

  /** Now on the run's clock, in ms with microsecond resolution. */
  readonly now: Effect.Effect<number> = Effect.map(
    Clock.currentTimeNanos,
    (nanos) => Math.round(Number(nanos - this.originNanos) / 1000) / 1000
  )
}

export const makeRecorder = (maxOperations: number, maxAttempts: number): Effect.Effect<RunRecorder> =>
  Effect.map(Clock.currentTimeNanos, (origin) => new RunRecorder(origin, maxOperations, maxAttempts))
