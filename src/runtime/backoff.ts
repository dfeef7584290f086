/**
 * The one backoff shape troupe uses for retries (peer reconnects, role restarts, client
 * retries): exponential from `base`, never longer than `max` (union keeps the shorter delay).
 */
import { type Duration, Schedule } from "effect"

export const cappedExponential = (base: Duration.DurationInput, max: Duration.DurationInput): Schedule.Schedule<unknown> =>
  Schedule.exponential(base).pipe(Schedule.union(Schedule.spaced(max)))
