/**
 * Checking a persist batch against the log before anything is written (pure). A batch that
 * passes becomes a list of records; one that does not is refused whole with a `WalError`.
 */
import { Either } from "effect"
import type { Entry } from "../raft/messages.js"
import { type DenseLog, logSurvivesSnapshot, type SnapshotPoint } from "./wal-log.js"
import { entriesPayloads, hardStatePayload, type HardState, type SnapshotData, truncatePayload, WalError } from "./wal-record.js"

export interface PersistBatch {
  readonly hardState?: HardState
  /** Drops every entry with index >= truncateFrom (before `entries` are appended). */
  readonly truncateFrom?: number
  /** Contiguous; the first may overwrite a suffix of the log (Raft's conflicting entries). */
  readonly entries: ReadonlyArray<Entry>
  /** Installed first: if the log does not hold the snapshot's last entry with its term, the log is cleared. */
  readonly snapshot?: SnapshotData
}

export interface PlannedRecord {
  readonly payload: string
  /** Highest entry index in the record, -1 if it holds no entries. */
  readonly maxIndex: number
}

export interface BatchPlan {
  readonly records: ReadonlyArray<PlannedRecord>
  /** The snapshot does not keep the current log, which is cleared. */
  readonly clearsLog: boolean
}

const fail = (reason: string): Either.Either<never, WalError> => Either.left(new WalError({ reason }))

const isIndex = (value: number): boolean => Number.isSafeInteger(value) && value >= 0

/** What the log's last index will be after the batch's snapshot and truncation. */
const lastIndexBeforeEntries = (terms: DenseLog<number>, batch: PersistBatch, snapshotIndex: number, clearsLog: boolean): number => {
  let last = clearsLog ? undefined : terms.lastIndex
  if (last !== undefined && batch.truncateFrom !== undefined) last = Math.min(last, batch.truncateFrom - 1)
  return Math.max(last ?? snapshotIndex, snapshotIndex)
}

const checkEntries = (entries: ReadonlyArray<Entry>, snapshotIndex: number, lastIndex: number): string | undefined => {
  const first = entries[0]
  if (first === undefined) return undefined
  for (let position = 1; position < entries.length; position++) {
    if (entries[position]!.index !== first.index + position) return `entries are not contiguous at position ${position}`
  }
  if (first.index <= snapshotIndex) return `entry ${first.index} is already covered by the snapshot at ${snapshotIndex}`
  if (first.index > lastIndex + 1) return `entry ${first.index} would leave a gap after the last index ${lastIndex}`
  return undefined
}

export const planBatch = (
  terms: DenseLog<number>,
  current: SnapshotPoint | undefined,
  batch: PersistBatch,
  maxPayloadBytes: number
): Either.Either<BatchPlan, WalError> => {
  const snapshot = batch.snapshot
  if (snapshot !== undefined && current !== undefined && snapshot.index < current.index) {
    return fail(`snapshot at ${snapshot.index} is older than the stored one at ${current.index}`)
  }
  if (batch.hardState !== undefined && !isIndex(batch.hardState.term)) return fail(`hard state term ${batch.hardState.term} is not a term`)
  if (snapshot !== undefined && (!isIndex(snapshot.index) || !isIndex(snapshot.term))) {
    return fail(`snapshot index ${snapshot.index} / term ${snapshot.term} must be non-negative integers`)
  }
  const snapshotIndex = snapshot?.index ?? current?.index ?? 0
  const clearsLog = snapshot !== undefined && !logSurvivesSnapshot(terms, (term) => term, snapshot)
  if (batch.truncateFrom !== undefined && (!isIndex(batch.truncateFrom) || batch.truncateFrom <= snapshotIndex)) {
    return fail(`truncateFrom ${batch.truncateFrom} must be an index after the snapshot (${snapshotIndex})`)
  }
  const problem = checkEntries(batch.entries, snapshotIndex, lastIndexBeforeEntries(terms, batch, snapshotIndex, clearsLog))
  if (problem !== undefined) return fail(problem)
  return Either.map(entriesPayloads(batch.entries, maxPayloadBytes), (entryRecords) => {
    const records: Array<PlannedRecord> = []
    if (clearsLog) records.push({ payload: truncatePayload(0), maxIndex: -1 })
    if (batch.hardState !== undefined) records.push({ payload: hardStatePayload(batch.hardState), maxIndex: -1 })
    if (batch.truncateFrom !== undefined) records.push({ payload: truncatePayload(batch.truncateFrom), maxIndex: -1 })
    for (const { lastIndex, payload } of entryRecords) records.push({ payload, maxIndex: lastIndex })
    return { records, clearsLog }
  })
}

/** Applies a planned batch to the in-memory view of the log (terms by index). */
export const applyToTerms = (terms: DenseLog<number>, batch: PersistBatch, clearsLog: boolean): void => {
  if (clearsLog) terms.truncateFrom(0)
  else if (batch.snapshot !== undefined) terms.dropThrough(batch.snapshot.index)
  if (batch.truncateFrom !== undefined) terms.truncateFrom(batch.truncateFrom)
  const first = batch.entries[0]
  if (first !== undefined) terms.append(first.index, batch.entries.map((entry) => entry.term))
}
