import { describe, expect, it } from "@effect/vitest"
import { Effect, Fiber, Schema, TestClock } from "effect"
import { AskTimeout, BadReply, makeActor, MailboxFull, type Reply } from "../../src/runtime/actor.js"

type Message =
  | { readonly _tag: "Add"; readonly amount: number }
  | { readonly _tag: "Get"; readonly reply: Reply<number> }
  | { readonly _tag: "Ignore"; readonly reply: Reply<number> }
  | { readonly _tag: "Lie"; readonly reply: Reply<unknown> }

const counter = Effect.gen(function*() {
  let total = 0
  return yield* makeActor<Message, never>("counter", (message) => {
    switch (message._tag) {
      case "Add":
        return Effect.sync(() => { total += message.amount })
      case "Get":
        return message.reply.succeed(total)
      case "Ignore":
        return Effect.void
      case "Lie":
        return message.reply.succeed("not a number")
    }
  }, { capacity: 4, askTimeout: "1 second" })
})

describe("actor", () => {
  it.effect("tell and ask are processed in order", () =>
    Effect.gen(function*() {
      const actor = yield* counter
      const loop = yield* Effect.fork(actor.run)
      yield* actor.ref.tell({ _tag: "Add", amount: 2 })
      yield* actor.ref.tell({ _tag: "Add", amount: 3 })
      const total = yield* actor.ref.ask<number>((reply) => ({ _tag: "Get", reply }))
      expect(total).toBe(5)
      yield* Fiber.interrupt(loop)
    }))

  it.effect("a full mailbox is a MailboxFull error, not a wait", () =>
    Effect.gen(function*() {
      const actor = yield* counter // not running: nothing drains the mailbox
      for (let i = 0; i < 4; i++) yield* actor.ref.tell({ _tag: "Add", amount: 1 })
      const error = yield* Effect.flip(actor.ref.tell({ _tag: "Add", amount: 1 }))
      expect(error).toBeInstanceOf(MailboxFull)
    }))

  it.effect("ask times out after the configured timeout", () =>
    Effect.gen(function*() {
      const actor = yield* counter
      const loop = yield* Effect.fork(actor.run)
      const asking = yield* Effect.fork(Effect.flip(actor.ref.ask<number>((reply) => ({ _tag: "Ignore", reply }))))
      yield* TestClock.adjust("999 millis")
      expect(asking.unsafePoll()).toBeNull()
      yield* TestClock.adjust("1 millis")
      expect(yield* Fiber.join(asking)).toBeInstanceOf(AskTimeout)
      yield* Fiber.interrupt(loop)
    }))

  it.effect("replies are checked against the reply schema", () =>
    Effect.gen(function*() {
      const actor = yield* counter
      const loop = yield* Effect.fork(actor.run)
      const error = yield* Effect.flip(
        // The behaviour answers with a string where a number was asked for.
        actor.ref.ask<number>((reply) => ({ _tag: "Lie", reply: reply as unknown as Reply<unknown> }), { replySchema: Schema.Number })
      )
      expect(error).toBeInstanceOf(BadReply)
      yield* Fiber.interrupt(loop)
    }))
})
