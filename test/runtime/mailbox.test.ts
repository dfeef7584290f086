/**
 * The single-consumer mailbox: bounded (a full mailbox refuses and keeps nothing), FIFO across the
 * ring's wrap-around, a waiting taker is woken by an offer, and an interrupted taker does not
 * swallow the next item.
 */
import { describe, expect, it } from "@effect/vitest"
import { Cause, Effect, Exit, Fiber } from "effect"
import { makeMailbox } from "../../src/runtime/mailbox.js"

/** Forks `take` and lets it run until it waits on the mailbox. */
const forkWaiting = <A>(take: Effect.Effect<A>) => Effect.tap(Effect.fork(take), () => Effect.yieldNow())

describe("mailbox", () => {
  it("refuses items beyond its capacity and keeps FIFO order across wrap-around", () => {
    const mailbox = makeMailbox<number>(3)
    expect([1, 2, 3, 4].map(mailbox.offer)).toEqual([true, true, true, false])
    expect(mailbox.size()).toBe(3)
    expect(mailbox.poll()).toBe(1)
    expect(mailbox.poll()).toBe(2)
    expect([5, 6, 7].map(mailbox.offer)).toEqual([true, true, false])
    expect([mailbox.poll(), mailbox.poll(), mailbox.poll(), mailbox.poll()]).toEqual([3, 5, 6, undefined])
    expect(mailbox.size()).toBe(0)
  })

  it.effect("wakes a waiting taker when an item arrives", () =>
    Effect.gen(function* () {
      const mailbox = makeMailbox<string>(4)
      const taker = yield* forkWaiting(mailbox.take)
      expect(taker.unsafePoll()).toBeNull()
      expect(mailbox.offer("first")).toBe(true)
      expect(yield* Fiber.join(taker)).toBe("first")
      expect(mailbox.offer("second")).toBe(true)
      expect(yield* mailbox.take).toBe("second")
    }))

  it.effect("an interrupted taker leaves the next item for the next taker", () =>
    Effect.gen(function* () {
      const mailbox = makeMailbox<number>(4)
      const taker = yield* forkWaiting(mailbox.take)
      yield* Fiber.interrupt(taker)
      expect(mailbox.offer(42)).toBe(true)
      expect(mailbox.size()).toBe(1)
      expect(yield* mailbox.take).toBe(42)
    }))

  it.effect("takeUpTo waits for the first item, then takes what is waiting, at most max, in order", () =>
    Effect.gen(function* () {
      const mailbox = makeMailbox<number>(8)
      const takeThree = mailbox.takeUpTo(3)
      const taker = yield* forkWaiting(takeThree)
      expect(taker.unsafePoll()).toBeNull()
      // Offered in one go, before the taker runs again: one batch, not the waking item alone.
      for (const item of [1, 2, 3, 4, 5]) mailbox.offer(item)
      expect(yield* Fiber.join(taker)).toEqual([1, 2, 3])
      expect(yield* takeThree).toEqual([4, 5])
      expect(mailbox.size()).toBe(0)
    }))

  it.effect("a second taker while one waits dies instead of leaving the first one waiting forever", () =>
    Effect.gen(function* () {
      const mailbox = makeMailbox<number>(4)
      const first = yield* forkWaiting(mailbox.take)
      const second = yield* Effect.exit(mailbox.take)
      expect(Exit.isFailure(second) && Cause.isDie(second.cause)).toBe(true)
      expect(mailbox.offer(7)).toBe(true)
      expect(yield* Fiber.join(first)).toBe(7)
    }))
})
