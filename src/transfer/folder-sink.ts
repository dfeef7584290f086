/**
 * A FileSink writing into one folder: `<dir>/.troupe-partial-<pid>-<n>` while receiving, renamed
 * to `<dir>/<name>` on commit after an fsync. Contiguous writes are gathered in one bounded
 * buffer and written with a single positional write when it fills, so small datagrams cost a
 * memory copy, not a system call each; memory stays flat whatever the file size.
 */
import * as fs from "node:fs/promises"
import * as path from "node:path"
import { Effect } from "effect"
import { partialFilePrefix } from "./filename.js"
import { SinkError, type FileSink, type SinkFile } from "./sink.js"

/** Bytes gathered before one write to disk. */
export const writeBufferBytes = 256 * 1024

let partialCounter = 0

const problemOf = (error: unknown): string => (error instanceof Error ? error.message : String(error))

const openPartial = (dir: string, name: string, totalBytes: number, handle: fs.FileHandle, partialPath: string): SinkFile => {
  const buffer = Buffer.allocUnsafe(Math.min(writeBufferBytes, Math.max(1, totalBytes)))
  let bufferedBytes = 0
  let bufferOffset = 0
  let endOffset = 0
  let closed = false

  const fail = (operation: "write" | "commit", error: unknown) => new SinkError({ operation, name, problem: problemOf(error) })
  const writeAt = (bytes: Uint8Array, position: number) =>
    Effect.tryPromise({
      try: async () => {
        let done = 0
        while (done < bytes.length) done += (await handle.write(bytes, done, bytes.length - done, position + done)).bytesWritten
      },
      catch: (error) => fail("write", error)
    })
  const flush = Effect.suspend(() => {
    if (bufferedBytes === 0) return Effect.void
    const pending = buffer.subarray(0, bufferedBytes)
    bufferedBytes = 0
    return writeAt(pending, bufferOffset)
  })
  const write = (offset: number, bytes: Uint8Array): Effect.Effect<void, SinkError> =>
    Effect.suspend(() => {
      if (closed) return Effect.fail(fail("write", "file is closed"))
      if (offset + bytes.length > totalBytes) return Effect.fail(fail("write", `write beyond the announced ${totalBytes} bytes`))
      const contiguous = offset === bufferOffset + bufferedBytes
      const fits = bufferedBytes + bytes.length <= buffer.length
      endOffset = Math.max(endOffset, offset + bytes.length)
      if (contiguous && fits) {
        buffer.set(bytes, bufferedBytes)
        bufferedBytes += bytes.length
        return bufferedBytes === buffer.length ? flush : Effect.void
      }
      return flush.pipe(
        Effect.zipRight(
          Effect.suspend(() => {
            bufferOffset = offset
            if (bytes.length >= buffer.length) {
              bufferOffset = offset + bytes.length
              return writeAt(bytes, offset)
            }
            buffer.set(bytes, 0)
            bufferedBytes = bytes.length
            return Effect.void
          })
        )
      )
    })
  const finalPath = path.join(dir, name)
  const commit = flush.pipe(
    Effect.zipRight(
      Effect.tryPromise({
        try: async () => {
          const size = (await handle.stat()).size
          if (endOffset !== totalBytes || size !== totalBytes) throw new Error(`have ${size} bytes, announced ${totalBytes}`)
          await handle.sync()
          closed = true
          await handle.close()
          await fs.rename(partialPath, finalPath)
          await syncFolder(dir)
          return finalPath
        },
        catch: (error) => fail("commit", error)
      })
    )
  )
  const abort = Effect.promise(async () => {
    if (!closed) {
      closed = true
      await handle.close().catch(() => undefined)
    }
    await fs.rm(partialPath, { force: true }).catch(() => undefined)
  })
  return { write, commit, abort }
}

/** Makes the rename durable; some platforms cannot fsync a folder, which is not an error. */
const syncFolder = async (dir: string): Promise<void> => {
  const folder = await fs.open(dir, "r").catch(() => undefined)
  if (folder === undefined) return
  await folder.sync().catch(() => undefined)
  await folder.close().catch(() => undefined)
}

export const folderSink = (dir: string): FileSink => ({
  description: dir,
  open: (name, totalBytes) =>
    Effect.tryPromise({
      try: async () => {
        const partialPath = path.join(dir, `${partialFilePrefix}${process.pid}-${++partialCounter}`)
        // A node's data folder starts empty: the files folder appears with the first transfer.
        await fs.mkdir(dir, { recursive: true })
        const handle = await fs.open(partialPath, "wx")
        return openPartial(dir, name, totalBytes, handle, partialPath)
      },
      catch: (error) => new SinkError({ operation: "open", name, problem: problemOf(error) })
    })
})
