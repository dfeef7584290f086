/**
 * In-memory `Storage` for simulations, with crash semantics. Every file has durable bytes
 * (synced) and unsynced bytes (appended since the last sync). `MemoryDisk.crash` models a power
 * loss: unsynced bytes are dropped, or with `TornWrite` a random prefix of them survives, and a
 * file whose name was never synced disappears. A `writeAtAndSync` still in flight (its sync
 * delay not over) is lost, or with `TornWrite` a random prefix of it lands. A disk outlives the
 * node using it: a restarted node gets a fresh handle (`disk.storage()` /
 * `memoryStorageLayer(disk)`) on the same bytes, while handles from before the crash fail, so a
 * killed node's stray fibers cannot write.
 */
import { Duration, Effect, Layer, Option, type Random } from "effect"
import { invalidNameReason, invalidPrefixReason } from "./names.js"
import { EMPTY_WRITE, piecesOf, Storage, StorageError, type StorageShape } from "./Storage.js"

export type CrashMode =
  | { readonly _tag: "DropUnsynced" }
  /** Each file keeps a prefix of its unsynced bytes, its length drawn from `random` (seeded by the sim). */
  | { readonly _tag: "TornWrite"; readonly random: Random.Random }

export interface CrashedFile {
  readonly name: string
  readonly unsyncedBytes: number
  readonly keptBytes: number
  /** The file was created but its name never synced, so it is gone. */
  readonly removed: boolean
}

export interface MemoryDiskOptions {
  /** Total bytes the disk holds; appends and writes past it fail with "disk full" (default 1 GiB). */
  readonly capacityBytes?: number
  /**
   * How long a sync takes (default none): bytes become durable only at its end, so a crash in
   * the middle loses them, and a simulation sees what a node does while its disk is busy.
   */
  readonly syncDelay?: Duration.DurationInput
}

export interface MemoryDiskStats {
  readonly syncs: number
  readonly bytesAppended: number
  readonly crashes: number
  readonly usedBytes: number
}

const DEFAULT_CAPACITY_BYTES = 1024 * 1024 * 1024
const MIN_BUFFER_BYTES = 256

class MemoryFile {
  bytes = new Uint8Array(MIN_BUFFER_BYTES)
  length = 0
  durableLength = 0
  constructor(public nameDurable: boolean) {}

  append(chunk: Uint8Array): void {
    this.writeAt(this.length, chunk)
  }

  /** Writes at `offset`; a gap past the end reads as zeros. */
  writeAt(offset: number, chunk: Uint8Array): void {
    const needed = Math.max(this.length, offset + chunk.byteLength)
    if (needed > this.bytes.byteLength) {
      const grown = new Uint8Array(Math.max(needed, this.bytes.byteLength * 2))
      grown.set(this.bytes.subarray(0, this.length))
      this.bytes = grown
    }
    // Bytes past the old end may hold what an earlier truncate cut away: they must read as zeros.
    if (offset > this.length) this.bytes.fill(0, this.length, offset)
    this.bytes.set(chunk, offset)
    this.length = needed
  }

  content(): Uint8Array {
    return this.bytes.slice(0, this.length)
  }
}

export class MemoryDisk {
  private readonly files = new Map<string, MemoryFile>()
  private readonly capacityBytes: number
  private readonly syncDelay: Duration.Duration
  private generation = 0
  /** In-place writes waiting for their sync delay, by file: what a crash may tear. */
  private readonly inFlightWrites = new Map<string, { readonly offset: number; readonly bytes: Uint8Array }>()
  private readonly counters = { syncs: 0, bytesAppended: 0, crashes: 0 }

  private constructor(options: MemoryDiskOptions) {
    this.capacityBytes = options.capacityBytes ?? DEFAULT_CAPACITY_BYTES
    this.syncDelay = Duration.decode(options.syncDelay ?? Duration.zero)
  }

  static make(options: MemoryDiskOptions = {}): MemoryDisk {
    return new MemoryDisk(options)
  }

  get stats(): MemoryDiskStats {
    return { ...this.counters, usedBytes: this.usedBytes() }
  }

  /** What a reader would see after a crash right now (tests use it to check durability). */
  durableContent(name: string): Option.Option<Uint8Array> {
    const file = this.files.get(name)
    return file === undefined || !file.nameDurable ? Option.none() : Option.some(file.bytes.slice(0, file.durableLength))
  }

  /** Power loss: applies `mode` to every file and fences every existing storage handle. */
  crash(mode: CrashMode = { _tag: "DropUnsynced" }): Effect.Effect<ReadonlyArray<CrashedFile>> {
    return Effect.gen(this, function* () {
      this.generation++
      this.counters.crashes++
      const report: Array<CrashedFile> = []
      for (const [name, file] of [...this.files.entries()].sort(([a], [b]) => (a < b ? -1 : 1))) {
        const unsyncedBytes = file.length - file.durableLength
        if (!file.nameDurable) {
          this.files.delete(name)
          report.push({ name, unsyncedBytes, keptBytes: 0, removed: true })
          continue
        }
        const keptBytes = mode._tag === "TornWrite" && unsyncedBytes > 0
          ? yield* mode.random.nextIntBetween(0, unsyncedBytes + 1)
          : 0
        file.length = file.durableLength + keptBytes
        const inFlight = this.inFlightWrites.get(name)
        const tornBytes = mode._tag === "TornWrite" && inFlight !== undefined
          ? yield* mode.random.nextIntBetween(0, inFlight.bytes.byteLength)
          : 0
        if (inFlight !== undefined && tornBytes > 0) file.writeAt(inFlight.offset, inFlight.bytes.subarray(0, tornBytes))
        file.durableLength = file.length
        report.push({ name, unsyncedBytes: unsyncedBytes + (inFlight?.bytes.byteLength ?? 0), keptBytes: keptBytes + tornBytes, removed: false })
      }
      this.inFlightWrites.clear()
      return report
    })
  }

  /** A storage handle valid until the next crash. */
  storage(): StorageShape {
    const generation = this.generation
    const run = <A>(operation: string, name: string, body: () => A): Effect.Effect<A, StorageError> =>
      Effect.suspend(() => {
        const invalid = operation === "list" ? invalidPrefixReason(name) : invalidNameReason(name)
        if (invalid !== undefined) return Effect.fail(new StorageError({ operation, name, cause: invalid }))
        if (generation !== this.generation) {
          return Effect.fail(new StorageError({ operation, name, cause: "disk handle is stale: the disk crashed since it was opened" }))
        }
        try {
          return Effect.succeed(body())
        } catch (cause) {
          return Effect.fail(new StorageError({ operation, name, cause: cause instanceof Error ? cause.message : cause }))
        }
      })
    // The generation is checked after the wait: a crash during a sync fails it.
    const syncing = <A>(sync: Effect.Effect<A, StorageError>) =>
      Duration.isZero(this.syncDelay) ? sync : Effect.zipRight(Effect.sleep(this.syncDelay), sync)
    return {
      read: (name) => run("read", name, () => Option.map(Option.fromNullable(this.files.get(name)), (file) => file.content())),
      writeAtomic: (name, bytes) => run("writeAtomic", name, () => this.writeAtomic(name, bytes)),
      append: (name, bytes) => run("append", name, () => this.append(name, bytes)),
      sync: (name) => syncing(run("sync", name, () => this.sync(name))),
      preallocate: (name, size) => syncing(run("preallocate", name, () => this.preallocate(name, size))),
      // A write handed to the disk cannot be called back: only a crash stops it.
      writeAtAndSync: (name, offset, bytes) =>
        run("writeAt", name, () => this.startWriteAt(name, offset, bytes)).pipe(
          Effect.zipRight(syncing(run("writeAt", name, () => this.finishWriteAt(name)))),
          Effect.uninterruptible
        ),
      truncate: (name, size) => run("truncate", name, () => this.truncate(name, size)),
      remove: (name) => run("remove", name, () => void this.files.delete(name)),
      list: (prefix) => run("list", prefix, () => [...this.files.keys()].filter((name) => name.startsWith(prefix)).sort())
    }
  }

  private usedBytes(): number {
    let used = 0
    for (const file of this.files.values()) used += file.length
    return used
  }

  private ensureRoom(extraBytes: number): void {
    if (this.usedBytes() + extraBytes > this.capacityBytes) {
      throw new Error(`disk full: ${extraBytes} more bytes would exceed the capacity of ${this.capacityBytes}`)
    }
  }

  private existing(name: string): MemoryFile {
    const file = this.files.get(name)
    if (file === undefined) throw new Error("no such file")
    return file
  }

  private writeAtomic(name: string, bytes: Uint8Array | ReadonlyArray<Uint8Array>): void {
    const pieces = piecesOf(bytes)
    this.ensureRoom(pieces.reduce((sum, piece) => sum + piece.byteLength, 0) - (this.files.get(name)?.length ?? 0))
    const file = new MemoryFile(true)
    for (const piece of pieces) file.append(piece)
    file.durableLength = file.length
    this.files.set(name, file)
  }

  private append(name: string, bytes: Uint8Array): void {
    this.ensureRoom(bytes.byteLength)
    let file = this.files.get(name)
    if (file === undefined) {
      file = new MemoryFile(false)
      this.files.set(name, file)
    }
    file.append(bytes)
    this.counters.bytesAppended += bytes.byteLength
  }

  private preallocate(name: string, size: number): void {
    if (!Number.isSafeInteger(size) || size < 0) throw new Error(`size must be a non-negative integer, got ${size}`)
    let file = this.files.get(name)
    this.ensureRoom(Math.max(0, size - (file?.length ?? 0)))
    if (file === undefined) {
      file = new MemoryFile(false)
      this.files.set(name, file)
    }
    if (size > file.length) file.writeAt(size, new Uint8Array(0))
    this.sync(name)
  }

  /** The first half of an in-place write: checked now, landing (durably) when its sync delay is over. */
  private startWriteAt(name: string, offset: number, bytes: Uint8Array): void {
    if (!Number.isSafeInteger(offset) || offset < 0) throw new Error(`offset must be a non-negative integer, got ${offset}`)
    if (bytes.byteLength === 0) throw new Error(EMPTY_WRITE)
    const file = this.existing(name)
    if (this.inFlightWrites.has(name)) throw new Error("another write to this file is in flight")
    this.ensureRoom(Math.max(0, offset + bytes.byteLength - file.length))
    this.inFlightWrites.set(name, { offset, bytes: bytes.slice() })
  }

  private finishWriteAt(name: string): void {
    const write = this.inFlightWrites.get(name)
    if (write === undefined) throw new Error("no write in flight")
    this.inFlightWrites.delete(name)
    const file = this.existing(name)
    file.writeAt(write.offset, write.bytes)
    this.counters.bytesAppended += write.bytes.byteLength
    this.sync(name)
  }

  private sync(name: string): void {
    const file = this.existing(name)
    file.durableLength = file.length
    file.nameDurable = true
    this.counters.syncs++
  }

  private truncate(name: string, size: number): void {
    if (!Number.isInteger(size) || size < 0) throw new Error(`size must be a non-negative integer, got ${size}`)
    const file = this.existing(name)
    file.length = Math.min(file.length, size)
    file.durableLength = file.length
    file.nameDurable = true
    this.counters.syncs++
  }
}

/** `Storage` on `disk`; build it again after `disk.crash` to model the node's restart. */
export const memoryStorageLayer = (disk: MemoryDisk): Layer.Layer<Storage> => Layer.sync(Storage, () => disk.storage())
