/**
 * A local actor: a bounded mailbox plus a behaviour run by one fiber. `tell` never waits: a full
 * mailbox is a `MailboxFull` error for the caller. `ask` sends a message carrying a reply slot and
 * waits at most its timeout; the reply can be checked against a Schema (for replies that crossed
 * a boundary, such as a worker thread or the network).
 */
import { Data, Deferred, Duration, Effect, Queue, Schema } from "effect"

export class MailboxFull extends Data.TaggedError("MailboxFull")<{
  readonly actor: string
  readonly capacity: number
}> {
  override get message(): string {
    return `actor ${this.actor} is busy: its mailbox of ${this.capacity} is full`
  }
}

export class AskTimeout extends Data.TaggedError("AskTimeout")<{
  readonly actor: string
  readonly timeout: Duration.Duration
}> {
  override get message(): string {
    return `actor ${this.actor} did not reply within ${Duration.format(this.timeout)}`
  }
}

export class BadReply extends Data.TaggedError("BadReply")<{
  readonly actor: string
  readonly problem: string
}> {}

/** The slot a behaviour completes to answer an `ask`. */
export interface Reply<A> {
  readonly succeed: (value: A) => Effect.Effect<void>
  readonly fail: (error: unknown) => Effect.Effect<void>
}

export interface ActorRef<Message> {
  readonly name: string
  readonly tell: (message: Message) => Effect.Effect<void, MailboxFull>
  readonly ask: <A>(
    makeMessage: (reply: Reply<A>) => Message,
    options?: { readonly timeout?: Duration.DurationInput; readonly replySchema?: Schema.Schema<A, any> }
  ) => Effect.Effect<A, MailboxFull | AskTimeout | BadReply | unknown>
  readonly size: Effect.Effect<number>
}

export interface Actor<Message> {
  readonly ref: ActorRef<Message>
  /** The message loop: run it under a supervisor; it takes one message at a time, forever. */
  readonly run: Effect.Effect<never>
}

export interface ActorOptions {
  readonly capacity: number
  readonly askTimeout: Duration.DurationInput
}

const replyTo = <A>(deferred: Deferred.Deferred<A, unknown>): Reply<A> => ({
  succeed: (value) => Deferred.succeed(deferred, value).pipe(Effect.asVoid),
  fail: (error) => Deferred.fail(deferred, error).pipe(Effect.asVoid)
})

/**
 * Makes an actor. The behaviour's failures are its own business: a failing message is logged and
 * the loop continues; a defect kills `run`, which is what the supervisor restarts.
 */
export const makeActor = <Message, R>(
  name: string,
  behaviour: (message: Message) => Effect.Effect<void, unknown, R>,
  options: ActorOptions
): Effect.Effect<Actor<Message>, never, R> =>
  Effect.gen(function*() {
    const mailbox = yield* Queue.dropping<Message>(options.capacity)
    const context = yield* Effect.context<R>()
    const tell = (message: Message): Effect.Effect<void, MailboxFull> =>
      Effect.flatMap(Queue.offer(mailbox, message), (accepted) =>
        accepted ? Effect.void : Effect.fail(new MailboxFull({ actor: name, capacity: options.capacity })))
    const ask: ActorRef<Message>["ask"] = <A>(
      makeMessage: (reply: Reply<A>) => Message,
      askOptions?: { readonly timeout?: Duration.DurationInput; readonly replySchema?: Schema.Schema<A, any> }
    ) =>
      Effect.gen(function*() {
        const deferred = yield* Deferred.make<A, unknown>()
        yield* tell(makeMessage(replyTo(deferred)))
        const timeout = Duration.decode(askOptions?.timeout ?? options.askTimeout)
        const answer = yield* Deferred.await(deferred).pipe(
          Effect.timeoutFail({ duration: timeout, onTimeout: () => new AskTimeout({ actor: name, timeout }) })
        )
        if (askOptions?.replySchema === undefined) return answer
        return yield* Schema.decodeUnknown(askOptions.replySchema)(answer).pipe(
          Effect.mapError((error) => new BadReply({ actor: name, problem: error.message }))
        )
      })
    const run = Queue.take(mailbox).pipe(
      Effect.flatMap((message) =>
        behaviour(message).pipe(
          Effect.catchAll((error) => Effect.logWarning(`actor ${name}: message failed`, error)),
          Effect.provide(context)
        )
      ),
      Effect.forever
    )
    return { ref: { name, tell, ask, size: Queue.size(mailbox) }, run }
  })
