/**
 * How troupe's binaries end: `ERROR: message` on stdout and exit 1 for a failed operation, exit 2
 * for bad usage or configuration (the message names the file and line when there is one).
 */
import { Cause, Console, Data, Effect } from "effect"

export class UsageError extends Data.TaggedError("UsageError")<{ readonly reason: string }> {
  override get message(): string {
    return this.reason
  }
}

const messageOf = (error: unknown): string =>
  error instanceof Error ? error.message : typeof error === "string" ? error : JSON.stringify(error)

/** Prints failures the contract's way and sets the exit code; help/validation errors exit 2. */
export const exitWith = <A, E, R>(program: Effect.Effect<A, E, R>): Effect.Effect<void, never, R> =>
  program.pipe(
    Effect.catchAllCause((cause) => {
      if (Cause.isInterruptedOnly(cause)) return Effect.void
      const failure = Cause.failureOption(cause)
      const error = failure._tag === "Some" ? failure.value : Cause.squash(cause)
      const usage = error instanceof UsageError || (typeof error === "object" && error !== null &&
        "_tag" in error && ["ValidationError", "MissingValue", "InvalidValue", "CommandMismatch", "UnclusteredFlag",
          "MissingFlag", "MissingSubcommand", "CorrectedFlag", "InvalidArgument", "NoBuiltInMatch", "MultipleValuesDetected"]
          .includes(String((error as { _tag: unknown })._tag)))
      return Effect.zipRight(
        usage && !(error instanceof UsageError) ? Effect.void : Console.log(`ERROR: ${messageOf(error)}`),
        Effect.sync(() => { process.exitCode = usage ? 2 : 1 })
      )
    }),
    Effect.asVoid
  )
