/**
 * Reads a local file by (offset, length) through one bounded block cache, so a sender streams
 * the file from disk without ever holding all of it, and retransmissions of recent messages
 * rarely touch the disk.
 */
import * as fs from "node:fs/promises"
import { Data, Effect, type Scope } from "effect"

export class FileReadError extends Data.TaggedError("FileReadError")<{
  readonly path: string
  readonly problem: string
}> {
  override get message(): string {
    return `cannot read ${this.path}: ${this.problem}`
  }
}

export interface ChunkReader {
  readonly sizeBytes: number
  /** A view valid until the next `read`; copy it before reading again. */
  readonly read: (offset: number, length: number) => Effect.Effect<Uint8Array, FileReadError>
  /** The same view if the block in memory holds it, else undefined (then `read`). */
  readonly readCached: (offset: number, length: number) => Uint8Array | undefined
}

const problemOf = (error: unknown): string => (error instanceof Error ? error.message : String(error))

/** Opens `path` for the life of the scope; `blockBytes` bounds the memory used. */
export const openChunkReader = (path: string, blockBytes: number): Effect.Effect<ChunkReader, FileReadError, Scope.Scope> =>
  Effect.gen(function* () {
    const handle = yield* Effect.acquireRelease(
      Effect.tryPromise({ try: () => fs.open(path, "r"), catch: (error) => new FileReadError({ path, problem: problemOf(error) }) }),
      (handle) => Effect.promise(() => handle.close().catch(() => undefined))
    )
    const sizeBytes = yield* Effect.tryPromise({
      try: async () => {
        const stat = await handle.stat()
        if (!stat.isFile()) throw new Error("not a regular file")
        return stat.size
      },
      catch: (error) => new FileReadError({ path, problem: problemOf(error) })
    })
    const block = Buffer.allocUnsafe(Math.max(1, Math.min(blockBytes, sizeBytes)))
    let blockStart = 0
    let blockLength = 0
    const load = (offset: number) =>
      Effect.tryPromise({
        try: async () => {
          const want = Math.min(block.length, sizeBytes - offset)
          let got = 0
          while (got < want) {
            const { bytesRead } = await handle.read(block, got, want - got, offset + got)
            if (bytesRead === 0) throw new Error(`file shrank while sending (expected ${sizeBytes} bytes)`)
            got += bytesRead
          }
          blockStart = offset
          blockLength = got
        },
        catch: (error) => new FileReadError({ path, problem: problemOf(error) })
      })
    const readCached = (offset: number, length: number): Uint8Array | undefined =>
      offset >= blockStart && offset + length <= blockStart + blockLength ? block.subarray(offset - blockStart, offset - blockStart + length) : undefined
    const read = (offset: number, length: number): Effect.Effect<Uint8Array, FileReadError> =>
      Effect.suspend(() => {
        const cached = readCached(offset, length)
        if (cached !== undefined) return Effect.succeed(cached)
        if (length > block.length) return Effect.fail(new FileReadError({ path, problem: `read of ${length} bytes exceeds the ${block.length}-byte block` }))
        return Effect.map(load(offset), () => block.subarray(offset - blockStart, offset - blockStart + length))
      })
    return { sizeBytes, read, readCached }
  })
