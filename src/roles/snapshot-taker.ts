/**
 * Takes a node's own snapshots without stopping its Raft loop: the state machine's state is
 * copied at once (`capture`), then serialized a slice at a time and written to the snapshot file
 * in a background fiber (RaftStore.saveSnapshot); the loop compacts with the result in a later
 * batch. Done at once on the loop, the JSON of 100,000 keys held it 45-95 ms here and writing it
 * about as long again: under write load, long enough for followers to elect a new leader.
 */
import { Effect } from "effect"
import type { RaftStoreShape } from "../storage/wal.js"
import type { ReplicatedStateMachine } from "./state-machine.js"

export interface ReadySnapshot {
  readonly index: number
  readonly data: string
}

export interface SnapshotTaker {
  /** True from `start` until the snapshot is ready or has failed. */
  readonly busy: () => boolean
  /** Captures the state now, as of log position (index, term), and forks the rest. */
  readonly start: (index: number, term: number) => Effect.Effect<void>
  /** The snapshot once ready and written, at most once. */
  readonly takeReady: () => ReadySnapshot | undefined
  /** Forgets everything (the loop rebuilds from disk; a fiber it forked ended with it). */
  readonly reset: () => void
}

export const makeSnapshotTaker = (options: {
  readonly machine: ReplicatedStateMachine
  readonly store: RaftStoreShape
  /** Between two slices: lets the event loop's I/O and the Raft loop run. */
  readonly betweenSlices: Effect.Effect<void>
  readonly onFailure: (index: number) => void
}): SnapshotTaker => {
  let busy = false
  let ready: ReadySnapshot | undefined

  const serializeSlices = (next: () => string | undefined): Effect.Effect<string> =>
    Effect.suspend(() => {
      const data = next()
      return data === undefined ? Effect.zipRight(options.betweenSlices, serializeSlices(next)) : Effect.succeed(data)
    })

  return {
    busy: () => busy,
    start: (index, term) =>
      Effect.suspend(() => {
        busy = true
        const take = serializeSlices(options.machine.capture()).pipe(
          Effect.tap((data) => options.store.saveSnapshot({ index, term, data })),
          Effect.map((data) => { ready = { index, data } }),
          Effect.catchAllCause((cause) =>
            Effect.zipRight(Effect.sync(() => options.onFailure(index)), Effect.logWarning(`snapshot at ${index} failed`, cause))),
          Effect.ensuring(Effect.sync(() => { busy = false }))
        )
        return Effect.asVoid(Effect.fork(take))
      }),
    takeReady: () => {
      const snapshot = ready
      ready = undefined
      return snapshot
    },
    reset: () => {
      busy = false
      ready = undefined
    }
  }
}
