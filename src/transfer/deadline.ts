/**
 * A lazily re-armed deadline on the Effect Clock (TestClock in tests). Re-arming is a plain
 * assignment, so moving a deadline once per datagram costs nothing: measured on this machine, a
 * per-datagram `Effect.timeout` halves the round trips per second of a UDP ping-pong, because it
 * forks a race every time. The timer fiber instead wakes at the deadline, and if the deadline has
 * moved in the meantime, sleeps again until the new one.
 *
 * The timer sleeps at most `granularity` at a time, so a deadline armed EARLIER than the one it
 * sleeps towards is still met exactly, provided every deadline is armed at least `granularity`
 * ahead of the moment it is armed (true for all users: they pass their shortest duration).
 */
import { Clock, Duration, Effect, type Scope } from "effect"

export interface DeadlineTimer {
  /**
   * Fires `onDue` once at `Clock` time `atMs` unless re-armed or disarmed before. If `onDue`
   * reports it could not deliver (a full queue), it is tried again `granularity` later.
   */
  readonly armAt: (atMs: number) => void
  readonly disarm: () => void
}

export const startDeadlineTimer = (
  onDue: Effect.Effect<boolean>,
  granularity: Duration.DurationInput
): Effect.Effect<DeadlineTimer, never, Scope.Scope> =>
  Effect.gen(function* () {
    const granularityMs = Math.max(1, Duration.toMillis(granularity))
    let deadlineMs = Number.POSITIVE_INFINITY
    const loop = Effect.gen(function* () {
      for (;;) {
        const now = yield* Clock.currentTimeMillis
        if (now >= deadlineMs) {
          deadlineMs = Number.POSITIVE_INFINITY
          const delivered = yield* onDue
          if (!delivered && deadlineMs === Number.POSITIVE_INFINITY) deadlineMs = now + granularityMs
          continue
        }
        yield* Effect.sleep(Duration.millis(Math.min(deadlineMs - now, granularityMs)))
      }
    })
    yield* Effect.forkScoped(loop)
    return {
      armAt: (atMs) => {
        deadlineMs = atMs
      },
      disarm: () => {
        deadlineMs = Number.POSITIVE_INFINITY
      }
    }
  })
