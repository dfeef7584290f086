/**
 * The Raft log store: a write-ahead log of append-only segments plus a snapshot file, on any
 * `Storage`. `persist` writes a whole batch (hard state, truncation, entries, snapshot) and makes
 * it durable with one sync, so the Raft shell group-commits many proposals per fsync. `load`
 * replays the segments and cuts away a torn or corrupt tail.
 *
 * Invariants that keep replay correct after compaction deletes old segments:
 * - every segment starts with the hard state current when it was opened;
 * - only a prefix of segments whose entries are all covered by the snapshot is deleted;
 * - the snapshot file is written before the records of its batch, and `load` applies Raft's
 *   snapshot rule again, so a crash between the two leaves a consistent log.
 */
import { Context, Effect, Either, Layer, Option } from "effect"
import type { TroupeConfig } from "../../config/schema.js"
import type { Entry } from "../raft/messages.js"
import { Storage, type StorageError, type StorageShape } from "./Storage.js"
import { DenseLog, logSurvivesSnapshot, type SnapshotPoint } from "./wal-log.js"
import { applyToTerms, type PersistBatch, type PlannedRecord, planBatch } from "./wal-plan.js"
import {
  decodeSnapshotFile,
  encodeSnapshot,
  FRAME_HEADER_BYTES,
  frameBytes,
  framePayloads,
  type HardState,
  hardStatePayload,
  type SnapshotData,
  truncatePayload,
  WalError
} from "./wal-record.js"
import { parseSegmentName, Replayer, SEGMENT_PREFIX, type SegmentInfo, segmentName } from "./wal-replay.js"

export { type PersistBatch } from "./wal-plan.js"
export { type HardState, type SnapshotData, WalError } from "./wal-record.js"

export const SNAPSHOT_FILE = "snapshot"

export interface LoadedLog {
  readonly hardState: HardState
  readonly snapshot: Option.Option<SnapshotData>
  /** Entries after the snapshot, contiguous. */
  readonly entries: ReadonlyArray<Entry>
}

export interface RaftStoreStats {
  readonly fsyncs: number
  readonly bytesWritten: number
  readonly records: number
  readonly persists: number
  readonly segments: number
  readonly segmentsDeleted: number
  readonly snapshotsWritten: number
  readonly tailsRepaired: number
}

export interface RaftStoreShape {
  /** Replays the log (repairing a bad tail); must run before `persist`. */
  readonly load: Effect.Effect<LoadedLog, StorageError | WalError>
  readonly persist: (batch: PersistBatch) => Effect.Effect<void, StorageError | WalError>
  /**
   * Writes the node's own snapshot file ahead of the `persist` that compacts with it (which then
   * skips the file), beside other persists: a state of many MB is written while the log goes on.
   * Does nothing if the file already holds a snapshot at this index or later. `file`, when given,
   * is the file's bytes already built (SnapshotFileEncoder): encoding many MB at once stalls the loop.
   */
  readonly saveSnapshot: (snapshot: SnapshotData, file?: ReadonlyArray<Uint8Array>) => Effect.Effect<void, StorageError | WalError>
  readonly stats: Effect.Effect<RaftStoreStats>
}

export type RaftStoreConfig = Pick<TroupeConfig["storage"], "walSegmentBytes">

export class RaftStore extends Context.Tag("troupe/RaftStore")<RaftStore, RaftStoreShape>() {
  /** The store on whichever `Storage` is provided (files in production, a `MemoryDisk` in sims). */
  static layer = (config: RaftStoreConfig): Layer.Layer<RaftStore, never, Storage> =>
    Layer.effect(RaftStore, Effect.flatMap(Storage, (storage) => makeRaftStore(storage, config)))
}

interface ActiveSegment {
  readonly info: SegmentInfo
  /** Records after the opening hard state: an empty segment is never rolled. */
  records: number
  /** The file's length: zeros from `info.bytes` on, written ahead by `preallocate`. */
  allocatedBytes: number
}

/**
 * How far ahead a segment is preallocated: 1 MiB of zeros and its fdatasync took about 2 ms on
 * the project's VM, once per 1 MiB of log, against 0.5-0.7 ms saved on every group commit.
 */
const PREALLOCATE_BYTES = 1 << 20
/**
 * A new segment starts with this much and doubles up to PREALLOCATE_BYTES: every start opens a
 * segment, so a node that restarts often or writes little keeps small files.
 */
const FIRST_PREALLOCATION_BYTES = 64 << 10

/** The segment's next length once `end` bytes must fit (never past the segment size unless `end` is). */
export const preallocationTarget = (allocatedBytes: number, end: number, segmentBytes: number): number => {
  const stepBytes = Math.min(PREALLOCATE_BYTES, Math.max(FIRST_PREALLOCATION_BYTES, allocatedBytes))
  return Math.max(end, Math.min(segmentBytes, allocatedBytes + stepBytes))
}

/** What the store knows about the log on disk, valid after a successful `load`. */
interface Writer {
  hardState: HardState
  snapshot: SnapshotPoint | undefined
  readonly terms: DenseLog<number>
  readonly segments: Array<SegmentInfo>
  active: ActiveSegment | undefined
}

class WalStore {
  private readonly maxPayloadBytes: number
  private readonly counters = { fsyncs: 0, bytesWritten: 0, records: 0, persists: 0, segmentsDeleted: 0, snapshotsWritten: 0, tailsRepaired: 0 }
  /** Undefined before `load` and after a failed write (memory and disk may disagree then). */
  private writer: Writer | undefined
  /** What the snapshot file holds (set by load and every write of it), and the lock of its writes. */
  private fileSnapshot: SnapshotPoint | undefined
  private loaded = false
  private readonly snapshotFileLock = Effect.unsafeMakeSemaphore(1)

  constructor(
    private readonly storage: StorageShape,
    private readonly segmentBytes: number
  ) {
    this.maxPayloadBytes = Math.max(1, segmentBytes - FRAME_HEADER_BYTES)
  }

  readonly stats = Effect.sync((): RaftStoreStats => ({ ...this.counters, segments: this.writer?.segments.length ?? 0 }))

  readonly load: Effect.Effect<LoadedLog, StorageError | WalError> = Effect.gen(this, function* () {
    this.writer = undefined
    const snapshot = yield* this.snapshotFileLock.withPermits(1)(this.readSnapshot())
    this.fileSnapshot = Option.match(snapshot, { onNone: () => undefined, onSome: ({ index, term }) => ({ index, term }) })
    this.loaded = true
    const replayer = yield* this.replaySegments
    const log = replayer.log
    let clearsLog = false
    if (Option.isSome(snapshot)) {
      clearsLog = !logSurvivesSnapshot(log, (entry) => entry.term, snapshot.value)
      if (clearsLog) log.truncateFrom(0)
      else log.dropThrough(snapshot.value.index)
    }
    const entries = log.toArray()
    const terms = new DenseLog<number>()
    if (entries[0] !== undefined) terms.append(entries[0].index, entries.map((entry) => entry.term))
    const w: Writer = {
      hardState: replayer.hardState,
      snapshot: Option.getOrUndefined(snapshot),
      terms,
      segments: replayer.segments,
      active: undefined
    }
    // The snapshot was written but its batch's records were not: make the reset durable,
    // or entries appended later would replay on top of the stale log.
    if (clearsLog) yield* this.writeRecords(w, [{ payload: truncatePayload(0), maxIndex: -1 }])
    this.writer = w
    return { hardState: replayer.hardState, snapshot, entries }
  })

  persist(batch: PersistBatch): Effect.Effect<void, StorageError | WalError> {
    return Effect.gen(this, function* () {
      const w = this.writer
      if (w === undefined) return yield* new WalError({ reason: "the log is not loaded (call load first, or again after a failed write)" })
      const plan = planBatch(w.terms, w.snapshot, batch, this.maxPayloadBytes)
      if (Either.isLeft(plan)) return yield* plan.left
      this.writer = undefined
      if (batch.snapshot !== undefined) {
        const { index, term } = batch.snapshot
        yield* this.writeSnapshotFile(batch.snapshot, (held) => held.index === index && held.term === term)
        w.snapshot = { index, term }
      }
      applyToTerms(w.terms, batch, plan.right.clearsLog)
      if (batch.hardState !== undefined) w.hardState = batch.hardState
      yield* this.writeRecords(w, plan.right.records)
      if (w.snapshot !== undefined) yield* this.compact(w, w.snapshot.index)
      this.counters.persists++
      this.writer = w
    })
  }

  saveSnapshot(snapshot: SnapshotData, file?: ReadonlyArray<Uint8Array>): Effect.Effect<void, StorageError | WalError> {
    if (!this.loaded) return Effect.fail(new WalError({ reason: "the log is not loaded (call load first)" }))
    return this.writeSnapshotFile(snapshot, (held) => held.index >= snapshot.index, file)
  }

  /**
   * Writes the snapshot file unless `alreadyThere` says what it holds will do. One write at a
   * time, and whole: an interrupted caller waits for the rename, so `fileSnapshot` stays true.
   */
  private writeSnapshotFile(
    snapshot: SnapshotData,
    alreadyThere: (held: SnapshotPoint) => boolean,
    file?: ReadonlyArray<Uint8Array>
  ): Effect.Effect<void, StorageError> {
    return this.snapshotFileLock.withPermits(1)(Effect.suspend(() => {
      if (this.fileSnapshot !== undefined && alreadyThere(this.fileSnapshot)) return Effect.void
      return Effect.tap(this.storage.writeAtomic(SNAPSHOT_FILE, file ?? encodeSnapshot(snapshot)), () => {
        this.fileSnapshot = { index: snapshot.index, term: snapshot.term }
        this.counters.snapshotsWritten++
      })
    })).pipe(Effect.uninterruptible)
  }

  private readSnapshot(): Effect.Effect<Option.Option<SnapshotData>, StorageError | WalError> {
    return Effect.flatMap(this.storage.read(SNAPSHOT_FILE), (bytes) => {
      if (Option.isNone(bytes)) return Effect.succeed(Option.none<SnapshotData>())
      const decoded = decodeSnapshotFile(bytes.value)
      return Either.isRight(decoded)
        ? Effect.succeed(Option.some(decoded.right))
        : Effect.fail(new WalError({ reason: `snapshot file is damaged (${decoded.left}); refusing to start without it` }))
    })
  }

  /** Feeds every segment to a replayer; cuts the first bad record and everything after it. */
  private readonly replaySegments = Effect.gen(this, function* () {
    const names = yield* this.storage.list(SEGMENT_PREFIX)
    const seqs = names.flatMap((name) => parseSegmentName(name) ?? []).sort((a, b) => a - b)
    const replayer = new Replayer(this.maxPayloadBytes)
    for (let position = 0; position < seqs.length; position++) {
      const name = segmentName(seqs[position]!)
      const bytes = yield* this.storage.read(name)
      const result = replayer.feed(seqs[position]!, Option.getOrElse(bytes, () => new Uint8Array(0)))
      if (result.problem === undefined) continue
      const dropped = seqs.slice(position + 1).map(segmentName)
      yield* Effect.logWarning("raft log: torn or corrupt tail cut away").pipe(
        Effect.annotateLogs({ segment: name, problem: result.problem, keptBytes: result.validBytes, droppedSegments: dropped.join(",") })
      )
      yield* this.storage.truncate(name, result.validBytes)
      yield* Effect.forEach(dropped, (segment) => this.storage.remove(segment), { discard: true })
      this.counters.tailsRepaired++
      break
    }
    return replayer
  })

  /**
   * Writes the records into the active segment at `offset` and makes them durable (one write on
   * an O_DSYNC handle), first preallocating the segment further if they would not fit.
   */
  private writeDurably(active: ActiveSegment, offset: number, payloads: ReadonlyArray<string>): Effect.Effect<void, StorageError> {
    const name = segmentName(active.info.seq)
    const bytes = framePayloads(payloads)
    this.counters.bytesWritten += bytes.byteLength
    this.counters.records += payloads.length
    const end = offset + bytes.byteLength
    const write = Effect.tap(this.storage.writeAtAndSync(name, offset, bytes), () => { this.counters.fsyncs++ })
    if (end <= active.allocatedBytes) return write
    const target = preallocationTarget(active.allocatedBytes, end, this.segmentBytes)
    return Effect.zipRight(
      Effect.tap(this.storage.preallocate(name, target), () => { active.allocatedBytes = target }),
      write
    )
  }

  /** Writes records after the last one, rolling to a new segment when one is full; durable on return. */
  private writeRecords(w: Writer, records: ReadonlyArray<PlannedRecord>): Effect.Effect<void, StorageError> {
    return Effect.gen(this, function* () {
      if (records.length === 0) return
      let pending: Array<string> = []
      let pendingOffset = w.active?.info.bytes ?? 0
      for (const record of records) {
        const size = frameBytes(record.payload)
        const active = w.active
        if (active === undefined || (active.records > 0 && active.info.bytes + size > this.segmentBytes)) {
          // The full segment's records of this batch (none if its first record starts the next
          // segment) must be durable before the batch returns.
          if (active !== undefined && pending.length > 0) yield* this.writeDurably(active, pendingOffset, pending)
          pending = [this.openSegment(w)]
          pendingOffset = 0
        }
        const current = w.active!
        pending.push(record.payload)
        current.records++
        current.info.bytes += size
        current.info.maxIndex = Math.max(current.info.maxIndex, record.maxIndex)
      }
      yield* this.writeDurably(w.active!, pendingOffset, pending)
    })
  }

  /** Starts the next segment in memory (its file comes with its first write); returns its opening record (the current hard state). */
  private openSegment(w: Writer): string {
    const seq = (w.segments.at(-1)?.seq ?? 0) + 1
    const opening = hardStatePayload(w.hardState)
    const info: SegmentInfo = { seq, bytes: frameBytes(opening), maxIndex: -1 }
    w.segments.push(info)
    w.active = { info, records: 0, allocatedBytes: 0 }
    return opening
  }

  /** Deletes the oldest segments while the snapshot covers every entry in them. */
  private compact(w: Writer, snapshotIndex: number): Effect.Effect<void, StorageError> {
    return Effect.gen(this, function* () {
      while (w.segments.length > 1) {
        const oldest = w.segments[0]!
        if (oldest === w.active?.info || oldest.maxIndex > snapshotIndex) return
        yield* this.storage.remove(segmentName(oldest.seq))
        w.segments.shift()
        this.counters.segmentsDeleted++
      }
    })
  }
}

/** A store over `storage`; `load` and `persist` run one at a time. */
export const makeRaftStore = (storage: StorageShape, config: RaftStoreConfig): Effect.Effect<RaftStoreShape> =>
  Effect.map(Effect.makeSemaphore(1), (lock) => {
    const store = new WalStore(storage, config.walSegmentBytes)
    return {
      load: lock.withPermits(1)(store.load),
      persist: (batch) => lock.withPermits(1)(store.persist(batch)),
      saveSnapshot: (snapshot, file) => store.saveSnapshot(snapshot, file),
      stats: store.stats
    }
  })
