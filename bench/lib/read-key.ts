/** The one key the read phase reads: written once (a 100-byte value) before the load starts. */
import { Effect } from "effect"
import { BenchError } from "./errors.js"
import { httpGet } from "./http-probe.js"
import { VALUE_BYTES } from "./load.js"

/** 16 bytes, like the write keys. */
const READ_KEY = "bench-read-key-1"
const WRITE_TIMEOUT_MS = 5000

/** Writes the read key through `leader` and returns the path to read it with. */
export const prepareReadKey = (leader: string): Effect.Effect<string, BenchError> =>
  Effect.tryPromise({
    try: () => httpGet(leader, `/${READ_KEY}=${"r".repeat(VALUE_BYTES)}`, WRITE_TIMEOUT_MS),
    catch: (error) => new BenchError({ reason: `preloading the read key: ${String(error)}` })
  }).pipe(
    Effect.filterOrFail(
      (answer) => answer.status === 200,
      (answer) => new BenchError({ reason: `preloading the read key: HTTP ${answer.status} ${answer.body}` })
    ),
    Effect.as(`/${READ_KEY}`)
  )
