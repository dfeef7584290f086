/**
 * A snapshot of the KV state as of one moment, serialized piece by piece while writes go on,
 * without copying the data first. Copying 300,000 entries (`[...map]`) held the event loop
 * 35-77 ms here, on every replica at once, which was most of the write benchmark's p99.
 *
 * Copy on write instead: while a capture is open, `write` records a key's value from before its
 * first change (`KvState.preImages`). The capture walks the live map (JS map iteration survives
 * changes: deleted entries are skipped, added ones are visited) and skips every key with a
 * pre-image; once the walk ends it stops recording and emits the pre-images of keys that existed
 * at capture. A key changed after the walk passed it is emitted twice with the same value (its
 * value at capture, as it was unchanged until then); `restoreKv` keeps one.
 *
 * The data's order in the text may differ from the live map's: nothing reads that order (`keys`
 * sorts). Sessions are copied at capture as they are: their order is their eviction order, which
 * must be the same on every replica, and there are at most `maxSessions` of them.
 */
import type { SnapshotCapture } from "../../src/roles/state-machine.js"
import type { KvState } from "./state-machine.js"

/**
 * Entries per piece: 256 of the benchmark's size take about 0.1 ms here. Pieces of 2,048 (1-3 ms,
 * one per event-loop turn) cut write throughput several times over while a snapshot ran.
 */
export const CAPTURE_SLICE_ENTRIES = 256

/** The elements of a JSON array, without its brackets, after a comma unless they are the first. */
const elements = (items: ReadonlyArray<unknown>, first: boolean): string => {
  const text = JSON.stringify(items).slice(1, -1)
  return first ? text : `,${text}`
}

function* dataPieces(
  state: KvState,
  preImages: Map<string, string | undefined>,
  sliceSize: number
): Generator<string, void> {
  const batch: Array<readonly [string, string]> = []
  let first = true
  const flush = (): string => {
    const text = elements(batch, first)
    first = false
    batch.length = 0
    return text
  }
  for (const entry of state.data) {
    if (preImages.has(entry[0])) continue
    batch.push(entry)
    if (batch.length === sliceSize) yield flush()
  }
  if (state.preImages === preImages) state.preImages = undefined
  for (const [key, value] of preImages) {
    if (value === undefined) continue
    batch.push([key, value])
    if (batch.length === sliceSize) yield flush()
  }
  if (batch.length > 0) yield flush()
}

function* snapshotPieces(
  state: KvState,
  preImages: Map<string, string | undefined>,
  sessions: ReadonlyArray<unknown>,
  sliceSize: number
): Generator<string, void> {
  yield `{"data":[`
  yield* dataPieces(state, preImages, sliceSize)
  yield `],"sessions":[`
  for (let from = 0; from < sessions.length; from += sliceSize) {
    yield elements(sessions.slice(from, from + sliceSize), from === 0)
  }
  yield `]}`
}

/**
 * Opens a capture of `state` as of now. One at a time: a newer capture takes over the recording,
 * so an older one still open would be wrong; the Raft role's snapshot taker never has two.
 */
export const captureKv = (state: KvState, sliceSize = CAPTURE_SLICE_ENTRIES): SnapshotCapture => {
  const preImages = new Map<string, string | undefined>()
  state.preImages = preImages
  const pieces = snapshotPieces(state, preImages, [...state.sessions], sliceSize)
  return {
    next: () => {
      const piece = pieces.next()
      return piece.done === true ? undefined : piece.value
    },
    close: () => {
      pieces.return()
      if (state.preImages === preImages) state.preImages = undefined
    }
  }
}
