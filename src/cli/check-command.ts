/**
 * `troupe check HISTORY.jsonl [--max-steps N]`: is a recorded KV history linearizable?
 *
 * Prints a report whose last line is `linearizable: yes|NO|unknown`, and sets
 * `process.exitCode` to 0 / 1 / 2 accordingly. An unreadable, too large or malformed history
 * prints `ERROR: ...` and ends as `linearizable: unknown` (exit 2): nothing was proven.
 * `runCheck` is the same without printing or touching the process, for tests and embedding.
 */
import { Args, Command, Options } from "@effect/cli"
import { FileSystem } from "@effect/platform"
import { Console, Effect, Either, Option } from "effect"
import { checkHistory, exitCodeOf } from "../check/checker.js"
import { parseHistory } from "../check/history.js"
import { type CheckLimits, defaultCheckLimits } from "../check/limits.js"
import { formatReport } from "../check/report.js"

export interface CheckRun {
  readonly exitCode: 0 | 1 | 2
  readonly report: string
}

const inputError = (problem: string): CheckRun => ({
  exitCode: 2,
  report: `ERROR: ${problem}\nlinearizable: unknown`
})

export const runCheck = (
  file: string,
  limits: CheckLimits = defaultCheckLimits()
): Effect.Effect<CheckRun, never, FileSystem.FileSystem> =>
  Effect.gen(function*() {
    const fs = yield* FileSystem.FileSystem
    const info = yield* Effect.either(fs.stat(file))
    if (Either.isLeft(info)) return inputError(`cannot read ${file}: ${info.left.message}`)
    if (Number(info.right.size) > limits.maxHistoryBytes) {
      return inputError(`${file} is larger than ${limits.maxHistoryBytes} bytes`)
    }
    const text = yield* Effect.either(fs.readFileString(file))
    if (Either.isLeft(text)) return inputError(`cannot read ${file}: ${text.left.message}`)
    const operations = parseHistory(text.right, limits)
    if (Either.isLeft(operations)) return inputError(`${file}: ${operations.left.message}`)
    const result = checkHistory(operations.right, { limits })
    return { exitCode: exitCodeOf(result.verdict), report: formatReport(result) }
  })

const history = Args.file({ name: "history", exists: "yes" }).pipe(
  Args.withDescription("JSON Lines history, one operation per line")
)

const maxSteps = Options.integer("max-steps").pipe(
  Options.optional,
  Options.withDescription("search steps per key before giving up on it (verdict unknown)")
)

export const checkCommand = Command.make("check", { history, maxSteps }, (args) =>
  Effect.gen(function*() {
    const defaults = defaultCheckLimits()
    const limits: CheckLimits = Option.match(args.maxSteps, {
      onNone: () => defaults,
      onSome: (steps) => ({ ...defaults, maxStepsPerKey: Math.max(1, steps) })
    })
    const run = yield* runCheck(args.history, limits)
    yield* Console.log(run.report)
    yield* Effect.sync(() => {
      process.exitCode = run.exitCode
    })
  })).pipe(Command.withDescription("check a KV history for linearizability (exit 0 yes, 1 no, 2 unknown)"))
