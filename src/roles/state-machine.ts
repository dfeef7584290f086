/**
 * What the Raft role needs from a replicated actor: apply committed entries in order, take and
 * load snapshots. Implementations must be deterministic (actors/kv is the first).
 */
export interface ReplicatedStateMachine {
  /** Applies one committed command; the result goes back to whoever proposed it. */
  readonly apply: (data: string, index: number) => unknown
  readonly snapshot: () => string
  readonly restore: (data: string) => void
  /** Back to the empty state (before replaying from storage). */
  readonly reset: () => void
}
