/**
 * Messages between the pool (main thread) and a worker. Values travel by structured clone
 * (bigint, string, boolean, arrays and plain objects all survive it under Node and Deno), so
 * `input` and `output` are the handlers' own types; only the envelopes are checked here.
 */
import { Schema } from "effect"

export const WorkerJob = Schema.Struct({
  id: Schema.Int.pipe(Schema.nonNegative()),
  op: Schema.String.pipe(Schema.maxLength(64)),
  input: Schema.Unknown
})
export type WorkerJob = typeof WorkerJob.Type

/** Sent once the entry module has loaded and installed its handler. */
export const WorkerReady = Schema.TaggedStruct("Ready", {})
export const WorkerDone = Schema.TaggedStruct("Done", { id: Schema.Int, output: Schema.Unknown })
export const WorkerFailed = Schema.TaggedStruct("Failed", { id: Schema.Int, error: Schema.String })

export const WorkerReply = Schema.Union(WorkerReady, WorkerDone, WorkerFailed)
export type WorkerReply = typeof WorkerReply.Type

export const decodeWorkerJob = Schema.decodeUnknownOption(WorkerJob)
export const decodeWorkerReply = Schema.decodeUnknownOption(WorkerReply)
