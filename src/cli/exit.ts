/**
 * How troupe's binaries end: `ERROR: message` on stdout and exit 1 for a failed operation, exit 2
 * for bad usage or configuration (the message names the file and line when there is one).
 */
import { ValidationError } from "@effect/cli"
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
      // @effect/cli has already printed its own message for a bad command line.
      const cliUsage = ValidationError.isValidationError(error)
      const usage = cliUsage || error instanceof UsageError
      return Effect.zipRight(
        cliUsage ? Effect.void : Console.log(`ERROR: ${messageOf(error)}`),
        Effect.sync(() => { process.exitCode = usage ? 2 : 1 })
      )
    }),
    Effect.asVoid
  )
