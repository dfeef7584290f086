/** A FileSink in memory, for TestClock tests: records every file and how it ended. */
import { Effect } from "effect"
import { SinkError, type FileSink } from "../../../src/transfer/sink.js"

export interface MemorySinkRecord {
  readonly committed: Map<string, Buffer>
  readonly aborted: Array<string>
  opened: number
}

/**
 * Names in `dieOn` make `write` die with a defect (to test that a crash stays in its session).
 * `buffered` adds the `writeNow` fast path, as a folder sink has it (writes then need no Effect).
 */
export const memorySink = (dieOn: ReadonlySet<string> = new Set(), buffered = false): { readonly sink: FileSink; readonly record: MemorySinkRecord } => {
  const record: MemorySinkRecord = { committed: new Map(), aborted: [], opened: 0 }
  const sink: FileSink = {
    description: "memory",
    open: (name, totalBytes) =>
      Effect.sync(() => {
        record.opened++
        const content = Buffer.alloc(totalBytes)
        let written = 0
        let over = false
        const writeNow = (offset: number, bytes: Uint8Array): boolean => {
          if (over || dieOn.has(name) || offset + bytes.length > totalBytes) return false
          Buffer.from(bytes).copy(content, offset)
          written += bytes.length
          return true
        }
        return {
          ...(buffered ? { writeNow } : {}),
          write: (offset, bytes) =>
            Effect.suspend(() => {
              if (dieOn.has(name)) return Effect.die(new Error(`sink defect for ${name}`))
              if (offset + bytes.length > totalBytes) return Effect.fail(new SinkError({ operation: "write", name, problem: "too long" }))
              Buffer.from(bytes).copy(content, offset)
              written += bytes.length
              return Effect.void
            }),
          commit: Effect.suspend(() => {
            if (written !== totalBytes) return Effect.fail(new SinkError({ operation: "commit", name, problem: "short" }))
            over = true
            record.committed.set(name, content)
            return Effect.succeed(`memory:${name}`)
          }),
          abort: Effect.sync(() => {
            if (!over) record.aborted.push(name)
            over = true
          })
        }
      })
  }
  return { sink, record }
}
