/**
 * The pause between attempts to (re)open a peer link: exponential from `reconnectBase`, capped
 * at `reconnectMax`, jittered (x0.8..1.2) so that nodes restarted together do not reconnect in
 * lockstep. Unbounded in count: a link retries for as long as its node runs.
 */
import { Duration, Schedule } from "effect"
import type { TroupeConfig } from "../../config/schema.js"

export const reconnectSchedule = (wire: TroupeConfig["wire"]): Schedule.Schedule<unknown> =>
  Schedule.exponential(wire.reconnectBase).pipe(
    // union keeps the shorter of the two delays: the cap.
    Schedule.union(Schedule.spaced(wire.reconnectMax)),
    Schedule.jittered
  )

/** The longest pause the schedule can produce (the cap plus jitter). */
export const maxReconnectPause = (wire: TroupeConfig["wire"]): Duration.Duration =>
  Duration.times(wire.reconnectMax, 1.2)
