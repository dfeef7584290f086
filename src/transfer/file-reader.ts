/**
 * Reads a local file by (offset, length) through two bounded blocks, so a sender streams the
 * file from disk without ever holding all of it, and retransmissions of recent messages rarely
 * touch the disk. Once reading passes the middle of the newest block, the next block is loaded
 * into the other one in the background: a sender reading sequentially never waits for the disk
 * (with one block it stalled for a whole block load, every block).
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
  /**
   * The same view if a block in memory holds it, else undefined (then `read`). Reading past the
   * middle of the newest block starts loading the next one in the background.
   */
  readonly readCached: (offset: number, length: number) => Uint8Array | undefined
}

const problemOf = (error: unknown): string => (error instanceof Error ? error.message : String(error))

interface Block {
  readonly bytes: Buffer
  start: number
  /** 0 while empty or being loaded: never read from a buffer the disk is writing into. */
  length: number
}

/** Opens `path` for the life of the scope; `blockBytes` bounds the memory used (twice that). */
export const openChunkReader = (path: string, blockBytes: number): Effect.Effect<ChunkReader, FileReadError, Scope.Scope> =>
  Effect.gen(function* () {
    /** The background load of the next block, if one is running. */
    let prefetching: Promise<void> | undefined
    const handle = yield* Effect.acquireRelease(
      Effect.tryPromise({ try: () => fs.open(path, "r"), catch: (error) => new FileReadError({ path, problem: problemOf(error) }) }),
      // A background load may still be running: let it finish before the file is closed.
      (handle) => Effect.promise(() => Promise.resolve(prefetching).then(() => handle.close().catch(() => undefined)))
    )
    const sizeBytes = yield* Effect.tryPromise({
      try: async () => {
        const stat = await handle.stat()
        if (!stat.isFile()) throw new Error("not a regular file")
        return stat.size
      },
      catch: (error) => new FileReadError({ path, problem: problemOf(error) })
    })
    const blockSize = Math.max(1, Math.min(blockBytes, sizeBytes))
    const blocks: ReadonlyArray<Block> = [
      { bytes: Buffer.allocUnsafe(blockSize), start: 0, length: 0 },
      { bytes: Buffer.allocUnsafe(blockSize), start: 0, length: 0 }
    ]

    const fill = async (block: Block, offset: number): Promise<void> => {
      block.length = 0
      block.start = offset
      const want = Math.min(blockSize, sizeBytes - offset)
      let got = 0
      while (got < want) {
        const { bytesRead } = await handle.read(block.bytes, got, want - got, offset + got)
        if (bytesRead === 0) throw new Error(`file shrank while sending (expected ${sizeBytes} bytes)`)
        got += bytesRead
      }
      block.length = got
    }
    const holding = (offset: number, length: number): Block | undefined =>
      blocks.find((block) => block.length > 0 && offset >= block.start && offset + length <= block.start + block.length)
    const view = (block: Block, offset: number, length: number) => block.bytes.subarray(offset - block.start, offset - block.start + length)
    /**
     * Loads the block after `newest` into the other one; a failure is left for `read` to meet.
     * It starts where the chunk that would straddle the two blocks starts, on the grid of the
     * read at (`offset`, `length`): a sender reads equal chunks in order, and none then spans
     * two blocks.
     */
    const prefetchAfter = (newest: Block, offset: number, length: number): void => {
      const end = newest.start + newest.length
      const next = offset + Math.floor((end - offset) / length) * length
      const other = blocks[0] === newest ? blocks[1]! : blocks[0]!
      if (prefetching !== undefined || end >= sizeBytes || (other.length > 0 && other.start === next)) return
      prefetching = fill(other, next)
        .catch(() => undefined)
        .finally(() => {
          prefetching = undefined
        })
    }
    const readCached = (offset: number, length: number): Uint8Array | undefined => {
      const block = holding(offset, length)
      if (block === undefined) return undefined
      const newest = blocks.every((other) => other === block || other.length === 0 || other.start < block.start)
      if (newest && length > 0 && offset - block.start >= block.length / 2) prefetchAfter(block, offset, length)
      return view(block, offset, length)
    }
    const read = (offset: number, length: number): Effect.Effect<Uint8Array, FileReadError> =>
      Effect.suspend(() => {
        const cached = readCached(offset, length)
        if (cached !== undefined) return Effect.succeed(cached)
        if (length > blockSize) return Effect.fail(new FileReadError({ path, problem: `read of ${length} bytes exceeds the ${blockSize}-byte block` }))
        return Effect.tryPromise({
          try: async () => {
            await prefetching
            const ready = holding(offset, length)
            if (ready !== undefined) return view(ready, offset, length)
            // The block further from `offset` is the one less likely to be needed again.
            const [first, second] = blocks as [Block, Block]
            const fartherIsFirst = Math.abs(first.start - offset) >= Math.abs(second.start - offset)
            const target = first.length === 0 ? first : second.length === 0 ? second : fartherIsFirst ? first : second
            await fill(target, offset)
            return view(target, offset, length)
          },
          catch: (error) => new FileReadError({ path, problem: problemOf(error) })
        })
      })
    return { sizeBytes, read, readCached }
  })
