/**
 * Takes a node's own snapshots without stopping its Raft loop: the state machine opens a capture
 * (copy on write, no copy up front), whose pieces are serialized one at a time with a pause
 * between them (`betweenSlices`), each encoded and checksummed as it comes; the file is written
 * from them in a background fiber (RaftStore.saveSnapshot), and the loop compacts with the
 * result in a later batch. Done at once on the loop, 300,000 keys held it 35-77 ms to copy,
 * 16-118 ms to join into one string and 42-243 ms to encode (bench/kv.ts, on every replica at
 * once): the write benchmark's p99.
 */
import { Effect } from "effect"
import type { RaftStoreShape } from "../storage/wal.js"
import { SnapshotFileEncoder } from "../storage/wal-record.js"
import type { ReplicatedStateMachine, SnapshotCapture } from "./state-machine.js"

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

interface Serialized {
  readonly data: string
  readonly file: ReadonlyArray<Uint8Array>
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

  /**
   * The snapshot's text and its file's bytes. The text grows by `+`, which V8 keeps as a rope:
   * it is flattened only if a lagging follower needs it sent, not here.
   */
  const serialize = (capture: SnapshotCapture, index: number, term: number): Effect.Effect<Serialized> => {
    let data = ""
    const file = new SnapshotFileEncoder(index, term)
    const more: Effect.Effect<Serialized> = Effect.suspend(() => {
      const piece = capture.next()
      if (piece === undefined) return Effect.succeed({ data, file: file.finish() })
      data += piece
      file.add(piece)
      return Effect.zipRight(options.betweenSlices, more)
    })
    return Effect.ensuring(more, Effect.sync(() => capture.close()))
  }

  return {
    busy: () => busy,
    start: (index, term) =>
      Effect.suspend(() => {
        busy = true
        const take = serialize(options.machine.capture(), index, term).pipe(
          Effect.tap(({ data, file }) => options.store.saveSnapshot({ index, term, data }, file)),
          Effect.map(({ data }) => { ready = { index, data } }),
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
