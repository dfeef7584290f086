/**
 * What the Raft role needs from a replicated actor: apply committed entries in order, take and
 * load snapshots. Implementations must be deterministic (actors/kv is the first).
 */
export interface ReplicatedStateMachine {
  /** Applies one committed command; the result goes back to whoever proposed it. */
  readonly apply: (data: string, index: number) => unknown
  /**
   * Copies the state as of now and returns its serializer: each call serializes one more slice
   * and the last returns the snapshot. The loop runs between slices, so a large state never
   * stalls it for long (the copy is the only part done at once).
   */
  readonly capture: () => () => string | undefined
  readonly restore: (data: string) => void
  /** Back to the empty state (before replaying from storage). */
  readonly reset: () => void
}
