/**
 * The pause between attempts to (re)open a peer link: exponential from `reconnectBase`, capped
 * at `reconnectMax`, jittered (x0.8..1.2) so that nodes restarted together do not reconnect in
 * lockstep. Unbounded in count: a link retries for as long as its node runs.
 */
import { Schedule } from "effect"
import type { TroupeConfig } from "../../config/schema.js"
import { cappedExponential } from "../runtime/backoff.js"

export const reconnectSchedule = (wire: TroupeConfig["wire"]): Schedule.Schedule<unknown> =>
  cappedExponential(wire.reconnectBase, wire.reconnectMax).pipe(Schedule.jittered)

