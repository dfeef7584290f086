/**
 * What the clients observed, beyond the checker's history: every single attempt (one HTTP
 * request or one CLI process), with its node and outcome. The availability windows and
 * latency figures are computed from these.
 */
export type AttemptOutcome = "ok" | "rejected" | "unavailable" | "timeout" | "unreachable"

export interface Attempt {
  readonly client: string
  readonly kind: "read" | "write"
  readonly node: string
  /** On the run's one monotonic clock (ms since the workload started). */
  readonly startMs: number
  readonly endMs: number
  readonly outcome: AttemptOutcome
}

/** Keeps at most `capacity` attempts; past it, attempts are counted but not stored. */
export class AttemptLog {
  readonly attempts: Array<Attempt> = []
  dropped = 0
  constructor(readonly capacity: number) {}
  add(attempt: Attempt): void {
    if (this.attempts.length < this.capacity) this.attempts.push(attempt)
    else this.dropped++
  }
}
