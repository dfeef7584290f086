/**
 * Group commit: the Raft role steps many inputs, then makes all of their `persist` outputs
 * durable with one call (one fsync). This merges the persist outputs of consecutive steps into
 * one, preserving their meaning: a later truncation removes earlier-batched entries it covers
 * and, if it reaches below them, truncates storage too. Snapshots are not merged: the role
 * flushes before a step that carries one.
 */
import type { Entry } from "../raft/messages.js"
import type { HardState, PersistOutput } from "../raft/types.js"

export interface PersistBatch {
  hardState: HardState | undefined
  truncateFrom: number | undefined
  entries: Array<Entry>
}

export const emptyBatch = (): PersistBatch => ({ hardState: undefined, truncateFrom: undefined, entries: [] })

export const isEmptyBatch = (batch: PersistBatch): boolean =>
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
