/**
 * The Raft role's durable writes for one batch: the persist records of all its outputs merged
 * into as few writes as possible (group commit, see persist-batch.ts), each write bounded by
 * storage.groupCommitMaxEntries and groupCommitMaxBytes; a snapshot is a write of its own.
 */
import { Effect } from "effect"
import type { TroupeConfig } from "../../config/schema.js"
import type { Metrics } from "../node/metrics.js"
import type { RaftOutput } from "../raft/index.js"
import type { StorageError } from "../storage/Storage.js"
import type { RaftStoreShape, WalError } from "../storage/wal.js"
import { chunkBatch, emptyBatch, isEmptyBatch, mergePersist, type PersistBatch } from "./persist-batch.js"

export type BatchWrite = Effect.Effect<void, StorageError | WalError>

/** Builds the writer: given a batch's outputs, its writes in order, or undefined if there is nothing to write. */
export const makeBatchWriter = (store: RaftStoreShape, metrics: Metrics, storage: TroupeConfig["storage"]) => {
  const counted = (write: BatchWrite): BatchWrite =>
    Effect.tap(write, () => metrics.inc("troupe_fsync_batches_total", "Durable writes (one fsync each)"))

  const writeChunk = (chunk: PersistBatch) =>
    counted(store.persist({
      ...(chunk.hardState === undefined ? {} : { hardState: chunk.hardState }),
      ...(chunk.truncateFrom === undefined ? {} : { truncateFrom: chunk.truncateFrom }),
      entries: chunk.entries
    }))

  const writeBatch = (batch: PersistBatch): BatchWrite => {
    const chunks = chunkBatch(batch, storage.groupCommitMaxEntries, storage.groupCommitMaxBytes)
    return chunks.length === 1 ? writeChunk(chunks[0]!) : Effect.forEach(chunks, writeChunk, { discard: true })
  }

  return (outputs: ReadonlyArray<RaftOutput>): BatchWrite | undefined => {
    const writes: Array<BatchWrite> = []
    let batch = emptyBatch()
    for (const output of outputs) {
      if (output.persist.snapshot === undefined) {
        mergePersist(batch, output.persist)
        continue
      }
      if (!isEmptyBatch(batch)) writes.push(writeBatch(batch))
      batch = emptyBatch()
      writes.push(counted(store.persist({ ...output.persist, snapshot: output.persist.snapshot })))
    }
    if (!isEmptyBatch(batch)) writes.push(writeBatch(batch))
    return writes.length === 0 ? undefined : writes.length === 1 ? writes[0] : Effect.all(writes, { discard: true })
  }
}
