import { Data, Effect } from "effect"

/** Any reason a benchmark phase cannot go on (no leader, a node died, a tool is missing). */
export class BenchError extends Data.TaggedError("BenchError")<{ readonly reason: string }> {
  override get message(): string {
    return this.reason
  }
}

/** Runs synchronous setup code that may throw, as a BenchError with the thrown message. */
export const attempt = <A>(run: () => A): Effect.Effect<A, BenchError> =>
  Effect.try({
    try: run,
    catch: (error) => error instanceof BenchError ? error : new BenchError({ reason: error instanceof Error ? error.message : String(error) })
  })
