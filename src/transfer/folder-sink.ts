/**
 * A FileSink writing into one folder: `<dir>/.troupe-partial-<pid>-<n>` while receiving, renamed
 * to `<dir>/<name>` on commit after an fsync. Contiguous writes are gathered in a bounded buffer
 * and written with a single positional write when it fills, so small datagrams cost a memory
 * copy, not a system call each; memory stays flat whatever the file size. There are two such
 * buffers: one fills while the other is on its way to disk, so a receiver waits for the disk only
 * when the disk is slower than the network (with one buffer it stalled at every flush).
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

const writeFully = async (handle: fs.FileHandle, bytes: Uint8Array, position: number): Promise<void> => {
  let done = 0
  while (done < bytes.length) done += (await handle.write(bytes, done, bytes.length - done, position + done)).bytesWritten
}

/** The write-behind pair of buffers of one open file. */
const makeWriteBehind = (handle: fs.FileHandle, bufferBytes: number) => {
  const buffers = [Buffer.allocUnsafe(bufferBytes), Buffer.allocUnsafe(bufferBytes)]
  let active = 0
  let bufferedBytes = 0
  /** File offset of the active buffer's first byte. */
  let bufferOffset = 0
  /** The other buffer's write to disk, if it has not finished yet. */
  let inFlight: Promise<void> | undefined
  let failure: unknown
  /** Sends the active buffer to disk and switches to the other one; it must be free. */
  const launch = (): void => {
    if (bufferedBytes === 0) return
    const flight = writeFully(handle, buffers[active]!.subarray(0, bufferedBytes), bufferOffset).then(
      () => {
        if (inFlight === flight) inFlight = undefined
      },
      (error: unknown) => {
        failure ??= error
        if (inFlight === flight) inFlight = undefined
      }
    )
    inFlight = flight
    bufferOffset += bufferedBytes
    bufferedBytes = 0
    active = 1 - active
  }
  return {
    /** Waits for the write in flight, if any (never fails: see `failure`). */
    settle: (): Promise<void> => inFlight ?? Promise.resolve(),
    /** Copies contiguous bytes in if that needs no waiting; true if taken. */
    tryAppend: (offset: number, bytes: Uint8Array): boolean => {
      if (failure !== undefined || offset !== bufferOffset + bufferedBytes || bytes.length >= bufferBytes) return false
      if (bufferedBytes + bytes.length > bufferBytes) {
        if (inFlight !== undefined) return false
        launch()
      }
      buffers[active]!.set(bytes, bufferedBytes)
      bufferedBytes += bytes.length
      return true
    },
    /**
     * Writes everything buffered and waits for it, then takes `bytes` at `offset` (any offset,
     * any size): buffered if they fit, else written at once.
     */
    writeThrough: async (offset: number, bytes: Uint8Array): Promise<void> => {
      await inFlight
      launch()
      await inFlight
      if (failure !== undefined) throw failure
      bufferOffset = offset
      if (bytes.length >= bufferBytes) {
        await writeFully(handle, bytes, offset)
        bufferOffset = offset + bytes.length
        return
      }
      buffers[active]!.set(bytes, 0)
      bufferedBytes = bytes.length
    }
  }
}

const openPartial = (dir: string, name: string, totalBytes: number, handle: fs.FileHandle, partialPath: string): SinkFile => {
  const behind = makeWriteBehind(handle, Math.min(writeBufferBytes, Math.max(1, totalBytes)))
  let endOffset = 0
  let closed = false

  const fail = (operation: "write" | "commit", error: unknown) => new SinkError({ operation, name, problem: problemOf(error) })
  const writeNow = (offset: number, bytes: Uint8Array): boolean => {
    if (closed || offset + bytes.length > totalBytes || !behind.tryAppend(offset, bytes)) return false
    endOffset = Math.max(endOffset, offset + bytes.length)
    return true
  }
  const write = (offset: number, bytes: Uint8Array): Effect.Effect<void, SinkError> =>
    Effect.suspend(() => {
      if (closed) return Effect.fail(fail("write", "file is closed"))
      if (offset + bytes.length > totalBytes) return Effect.fail(fail("write", `write beyond the announced ${totalBytes} bytes`))
      if (writeNow(offset, bytes)) return Effect.void
      return Effect.tryPromise({
        try: async () => {
          // Room frees up once the write in flight is done; anything else goes straight through.
          await behind.settle()
          if (!behind.tryAppend(offset, bytes)) await behind.writeThrough(offset, bytes)
          endOffset = Math.max(endOffset, offset + bytes.length)
        },
        catch: (error) => fail("write", error)
      })
    })
  const finalPath = path.join(dir, name)
  const commit = Effect.tryPromise({
    try: async () => {
      await behind.writeThrough(endOffset, new Uint8Array(0))
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
  const abort = Effect.promise(async () => {
    if (!closed) {
      closed = true
      await behind.settle()
      await handle.close().catch(() => undefined)
    }
    await fs.rm(partialPath, { force: true }).catch(() => undefined)
  })
  return { write, writeNow, commit, abort }
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
