/**
 * Everything waiting in a queue, as one batch. `Queue.takeBetween(queue, 1, max)` on an empty
 * queue resumes with only the element that woke it: whatever arrived in the same event-loop turn
 * waits for the next call, so every batch after an idle spell is split in two. Taking the rest
 * right away keeps one batch (one fsync, one socket write) per wake-up.
 */
import { Chunk, Effect, Option, Queue } from "effect"

export const takeAvailable = <A>(queue: Queue.Dequeue<A>, max: number): Effect.Effect<ReadonlyArray<A>> =>
  Effect.flatMap(Queue.takeBetween(queue, 1, max), (taken) => {
    const waiting = Option.getOrElse(queue.unsafeSize(), () => 0)
    if (waiting <= 0 || taken.length >= max) return Effect.succeed(Chunk.toReadonlyArray(taken))
    return Effect.map(Queue.takeUpTo(queue, max - taken.length), (rest) => Chunk.toReadonlyArray(Chunk.appendAll(taken, rest)))
  })
