/**
 * Group commit: the Raft role steps many inputs, then makes all of their `persist` outputs
 * durable with one call (one fsync). This merges the persist outputs of consecutive steps into
 * one, preserving their meaning: a later truncation removes earlier-batched entries it covers
 * and, if it reaches below them, truncates storage too. Snapshots are not merged: the role
 * flushes before a step that carries one. A merged batch is written in chunks of at most
 * storage.groupCommitMaxEntries entries and groupCommitMaxBytes bytes (`chunkBatch`).
 */
import type { Entry } from "../raft/messages.js"
import type { HardState, PersistOutput } from "../raft/types.js"
import { utf8Bytes } from "../raft/utf8.js"

export interface PersistBatch {
  hardState: HardState | undefined
  truncateFrom: number | undefined
  entries: Array<Entry>
}

export const emptyBatch = (): PersistBatch => ({ hardState: undefined, truncateFrom: undefined, entries: [] })

/** Nothing to write in a merged batch or in one step's persist output (a snapshot aside). */
export const isEmptyBatch = (batch: PersistBatch | PersistOutput): boolean =>
  batch.hardState === undefined && batch.truncateFrom === undefined && batch.entries.length === 0

export const mergePersist = (batch: PersistBatch, persist: PersistOutput): void => {
  if (persist.hardState !== undefined) batch.hardState = persist.hardState
  if (persist.truncateFrom !== undefined) {
    const from = persist.truncateFrom
    const firstBatched = batch.entries[0]?.index
    if (firstBatched === undefined || from < firstBatched) {
      batch.entries = []
      batch.truncateFrom = Math.min(batch.truncateFrom ?? from, from)
    } else {
      batch.entries = batch.entries.filter((entry) => entry.index < from)
    }
  }
  for (const entry of persist.entries) batch.entries.push(entry)
}

/**
 * The batch as consecutive writes of at most `maxEntries` entries and `maxBytes` bytes of entry
 * data (at least one entry each, so an entry larger than `maxBytes` still goes alone). Hard
 * state and truncation go with the first. Written in order, they leave the same log.
 */
export const chunkBatch = (batch: PersistBatch, maxEntries: number, maxBytes: number): Array<PersistBatch> => {
  // The usual batch fits for sure (a UTF-16 unit is at most 3 UTF-8 bytes): no byte counting on the hot path.
  if (batch.entries.length <= maxEntries && batch.entries.reduce((units, entry) => units + entry.data.length, 0) * 3 <= maxBytes) {
    return [batch]
  }
  const chunks: Array<PersistBatch> = [{ hardState: batch.hardState, truncateFrom: batch.truncateFrom, entries: [] }]
  let bytes = 0
  for (const entry of batch.entries) {
    let chunk = chunks[chunks.length - 1]!
    const size = utf8Bytes(entry.data)
    if (chunk.entries.length > 0 && (chunk.entries.length >= maxEntries || bytes + size > maxBytes)) {
      chunk = emptyBatch()
      chunks.push(chunk)
      bytes = 0
    }
    chunk.entries.push(entry)
    bytes += size
  }
  return chunks
}
