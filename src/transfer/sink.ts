/**
 * Where received files go. The receiver only talks to this interface, so a folder on one node
 * (`folderSink`) and, later, the replicated file service plug in the same way.
 *
 * Contract: `open` prepares an invisible temporary destination; `write`s arrive in order of
 * offset and never exceed the announced size; `commit` makes the file visible under its name only
 * if exactly the announced number of bytes was written, durably; `abort` discards everything and
 * never fails.
 */
import { Data, type Effect } from "effect"

export class SinkError extends Data.TaggedError("SinkError")<{
  readonly operation: "open" | "write" | "commit"
  readonly name: string
  readonly problem: string
}> {
  override get message(): string {
    return `cannot ${this.operation} ${this.name}: ${this.problem}`
  }
}

export interface SinkFile {
  readonly write: (offset: number, bytes: Uint8Array) => Effect.Effect<void, SinkError>
  /**
   * Optional fast path: takes the bytes at once if that needs no I/O (e.g. they fit in a
   * buffer) and returns true, exactly as a successful `write` would; otherwise does nothing and
   * returns false, and the caller uses `write`. Lets a receiver store a datagram inside the
   * socket callback, without an Effect per datagram.
   */
  readonly writeNow?: (offset: number, bytes: Uint8Array) => boolean
  /** Returns where the file now is (for logs). */
  readonly commit: Effect.Effect<string, SinkError>
  readonly abort: Effect.Effect<void>
}

export interface FileSink {
  /** For logs, e.g. the folder. */
  readonly description: string
  readonly open: (name: string, totalBytes: number) => Effect.Effect<SinkFile, SinkError>
}
