/** A snapshot of a state machine as of one moment, serialized a piece at a time. */
export interface SnapshotCapture {
  /** The next piece of the snapshot's text, undefined once every piece was given; joined, they are the snapshot. */
  readonly next: () => string | undefined
  /** Ends the capture early (its fiber was interrupted); later writes no longer pay for it. */
  readonly close: () => void
}

/**
 * What the Raft role needs from a replicated actor: apply committed entries in order, take and
 * load snapshots. Implementations must be deterministic (actors/kv is the first).
 */
export interface ReplicatedStateMachine {
  /** Applies one committed command; the result goes back to whoever proposed it. */
  readonly apply: (data: string, index: number) => unknown
  /**
   * Opens a capture of the state as of now. The loop runs between its pieces, so a large state
   * never stalls it for long; applying entries meanwhile does not change what the capture gives.
   */
  readonly capture: () => SnapshotCapture
  readonly restore: (data: string) => void
  /** Back to the empty state (before replaying from storage). */
  readonly reset: () => void
}
