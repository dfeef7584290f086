/**
 * A scheduler that runs woken fibers at the end of the current event-loop turn (setImmediate),
 * after every I/O callback of the turn: all requests read from sockets in one poll reach the
 * Raft loop (and the dispatcher) as one batch, one step and one wake-up (wake-ups are the dearest
 * thing on a VM). Live nodes only: simulations keep Effect's default, deterministic in virtual time.
 *
 * One queue for every fiber on it, drained until empty: a fiber woken by another in the drain
 * (the dispatcher handing a peer's message to the Raft loop) runs in the same turn, not one
 * event-loop turn later as with Effect's per-fiber `Scheduler.makeBatched` runners. A bound on
 * the rounds per turn keeps a fiber that keeps yielding from starving I/O.
 */
import { Effect, Scheduler } from "effect"

const maxRoundsPerTurn = 16

let queued: Array<Scheduler.Task> = []
let scheduled = false

const drain = (): void => {
  try {
    for (let round = 0; round < maxRoundsPerTurn && queued.length > 0; round++) {
      const tasks = queued
      queued = []
      for (let i = 0; i < tasks.length; i++) {
        try {
          tasks[i]!()
        } catch (defect) {
          // Fiber tasks do not throw; if one ever does, the rest of its round still runs.
          queued = tasks.slice(i + 1).concat(queued)
          throw defect
        }
      }
    }
  } finally {
    if (queued.length > 0) setImmediate(drain)
    else scheduled = false
  }
}

export const eventLoopTurnScheduler: Scheduler.Scheduler = Scheduler.make((task) => {
  queued.push(task)
  if (!scheduled) {
    scheduled = true
    setImmediate(drain)
  }
})

/** `effect` on `scheduler` when one is given, else on the ambient one (a simulation's). */
export const onScheduler = <A, E, R>(effect: Effect.Effect<A, E, R>, scheduler: Scheduler.Scheduler | undefined): Effect.Effect<A, E, R> =>
  scheduler === undefined ? effect : Effect.withScheduler(effect, scheduler)

/** Resumes in a later event-loop turn, after this turn's I/O (live only: it is not virtual time). */
export const nextEventLoopTurn: Effect.Effect<void> = Effect.async<void>((resume) => {
  const immediate = setImmediate(() => resume(Effect.void))
  return Effect.sync(() => clearImmediate(immediate))
})
