/**
 * Supervision for a node's roles: a role is an Effect that runs until interrupted. If it fails or
 * dies, the supervisor logs the cause, waits per a restart Schedule (exponential, jittered, capped,
 * reset after a quiet period) and starts it again. More than `maxRestarts` restarts within
 * `maxRestartsWindow` means the role cannot recover on its own: the failure escalates
 * (`RoleEscalated`) to the node, which then shuts down with a non-zero exit.
 */
import { Cause, Clock, Data, Duration, Effect, Exit, Schedule } from "effect"
import type { TroupeConfig } from "../../config/schema.js"
import { cappedExponential } from "./backoff.js"

export class RoleEscalated extends Data.TaggedError("RoleEscalated")<{
  readonly role: string
  readonly restarts: number
  readonly window: Duration.Duration
  readonly lastCause: string
}> {
  override get message(): string {
    return `role ${this.role} failed ${this.restarts} times within ${Duration.format(this.window)}; last cause: ${this.lastCause}`
  }
}

export interface RestartPolicy {
  readonly backoff: Schedule.Schedule<unknown>
  readonly maxRestarts: number
  readonly maxRestartsWindow: Duration.Duration
}

/** Exponential from `restartBase`, capped at `restartMax`, jittered, reset after `restartResetAfter` of calm. */
export const restartPolicyFrom = (runtime: TroupeConfig["runtime"]): RestartPolicy => ({
  backoff: cappedExponential(runtime.restartBase, runtime.restartMax).pipe(
    Schedule.jittered,
    Schedule.resetAfter(runtime.restartResetAfter)
  ),
  maxRestarts: runtime.maxRestarts,
  maxRestartsWindow: runtime.maxRestartsWindow
})

/** Keeps only the restart times inside the window ending at `nowMs`, then adds `nowMs`. */
const recordRestart = (restartsMs: ReadonlyArray<number>, nowMs: number, windowMs: number): Array<number> => [
  ...restartsMs.filter((atMs) => nowMs - atMs < windowMs),
  nowMs
]

/**
 * Runs `role` forever under `policy`. Interruption is never treated as a failure: it stops the
 * role and the supervisor together.
 */
export const supervise = <E, R>(
  roleName: string,
  role: Effect.Effect<unknown, E, R>,
  policy: RestartPolicy
): Effect.Effect<never, RoleEscalated, R> =>
  Effect.gen(function*() {
    const backoff = yield* Schedule.driver(policy.backoff)
    const windowMs = Duration.toMillis(policy.maxRestartsWindow)
    let restartsMs: Array<number> = []
    while (true) {
      const exit = yield* Effect.exit(role)
      if (Exit.isFailure(exit) && Cause.isInterruptedOnly(exit.cause)) return yield* Effect.interrupt
      const cause = Exit.isFailure(exit) ? Cause.pretty(exit.cause) : "role returned without being asked to stop"
      restartsMs = recordRestart(restartsMs, yield* Clock.currentTimeMillis, windowMs)
      if (restartsMs.length > policy.maxRestarts) {
        yield* Effect.logError(`role ${roleName} escalates after ${restartsMs.length} failures`, cause)
        return yield* new RoleEscalated({
          role: roleName,
          restarts: restartsMs.length,
          window: policy.maxRestartsWindow,
          lastCause: cause.split("\n")[0] ?? cause
        })
      }
      yield* Effect.logWarning(`role ${roleName} failed; restart #${restartsMs.length}`, cause)
      yield* Effect.orDie(backoff.next(undefined))
    }
  }).pipe(Effect.annotateLogs("role", roleName))
