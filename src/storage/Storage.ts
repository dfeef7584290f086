/**
 * Storage: a small file API with explicit durability. Live layer: files in a folder with
 * fsync and atomic rename (src/storage/file-storage.ts). Memory layer: for sims, with crash
 * semantics: what was not synced is lost (or torn) on `crash` (src/storage/memory-storage.ts).
 *
 * Names are flat (no `/`), e.g. `wal-00000001.log`, `snapshot`, `hardstate`.
 */
import { Context, Data, type Effect, type Option } from "effect"

export class StorageError extends Data.TaggedError("StorageError")<{
  readonly operation: string
  readonly name: string
  readonly cause: unknown
}> {
  override get message(): string {
    return `storage ${this.operation} ${this.name}: ${String(this.cause)}`
  }
}

export interface StorageShape {
  /** Whole content, or None if the file does not exist. */
  readonly read: (name: string) => Effect.Effect<Option.Option<Uint8Array>, StorageError>
  /**
   * Replaces a file atomically and durably (temp file, fsync, rename, fsync folder) with `bytes`,
   * or with the pieces of a list one after the other (a large file need not be one buffer).
   */
  readonly writeAtomic: (name: string, bytes: Uint8Array | ReadonlyArray<Uint8Array>) => Effect.Effect<void, StorageError>
  /** Appends to a file (created if missing). Not durable until `sync`. */
  readonly append: (name: string, bytes: Uint8Array) => Effect.Effect<void, StorageError>
  /** Makes every earlier append to this file durable (fsync). */
  readonly sync: (name: string) => Effect.Effect<void, StorageError>
  /**
   * Makes a file (created if missing) at least `size` bytes long, the added bytes zero, durably
   * (its name too). The WAL writes into space made this way: an overwrite inside a file's length
   * is durable with one data write, while an append also has to write the grown size and the
   * newly allocated blocks (on this project's VM, 4-5 times the latency and system CPU).
   */
  readonly preallocate: (name: string, size: number) => Effect.Effect<void, StorageError>
  /** Overwrites `bytes` (at least one) at `offset` of an existing file and returns once they are durable. */
  readonly writeAtAndSync: (name: string, offset: number, bytes: Uint8Array) => Effect.Effect<void, StorageError>
  /** Cuts a file to `size` bytes, durably. */
  readonly truncate: (name: string, size: number) => Effect.Effect<void, StorageError>
  readonly remove: (name: string) => Effect.Effect<void, StorageError>
  /** Names starting with `prefix`, sorted. */
  readonly list: (prefix: string) => Effect.Effect<ReadonlyArray<string>, StorageError>
}

/**
 * `writeAtAndSync` refuses to write nothing, on a memory disk as on files (where the write
 * syscall then reports no progress): it is a caller's bug, which simulations must see too.
 */
export const EMPTY_WRITE = "nothing to write (an empty write is a caller's bug)"

/** What `writeAtomic` was given, as a list of pieces. */
export const piecesOf = (bytes: Uint8Array | ReadonlyArray<Uint8Array>): ReadonlyArray<Uint8Array> =>
  bytes instanceof Uint8Array ? [bytes] : bytes

export class Storage extends Context.Tag("troupe/Storage")<Storage, StorageShape>() {}
