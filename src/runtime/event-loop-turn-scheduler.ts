/**
 * A scheduler that runs woken fibers at the end of the current event-loop turn (setImmediate),
 * after every I/O callback of the turn: all requests read from sockets in one poll reach the
 * Raft loop (and the dispatcher) as one batch, one step and one wake-up (wake-ups are the dearest
 * thing on a VM). Live nodes only: simulations keep Effect's default, deterministic in virtual time.
 */
import { Scheduler } from "effect"

export const eventLoopTurnScheduler: Scheduler.Scheduler = Scheduler.makeBatched((runBatch) => setImmediate(runBatch))
