/**
 * Request/response between nodes over the peer links: a `Forward` carries an actor's request
 * (JSON text) and its `requestId`; the peer answers with a `ForwardReply`. Used by followers to
 * forward KV requests to the leader and by the compute broker to offload calls. Bounded: at most
 * `maxPending` calls wait at once; each waits at most its timeout.
 */
import { Data, Deferred, Duration, Effect, Exit } from "effect"
import type { NodeId } from "../config/servers.js"
import type { TransportShape } from "../net/Transport.js"
import { KeyedFifo } from "../runtime/keyed-fifo.js"

export class ForwardFailed extends Data.TaggedError("ForwardFailed")<{
  readonly peer: NodeId
  readonly reason: string
  /** The HTTP status the peer answered with, or 503 when it did not answer. */
  readonly status: number
  /** No answer in time: the request or its reply may have been lost on the way. */
  readonly timedOut?: boolean
}> {
  override get message(): string {
    return this.reason
  }
}

export interface PeerCallsShape {
  /** Sends `request` to `actor` on `peer`; succeeds with the peer's successful answer body. */
  readonly call: (peer: NodeId, actor: string, request: string, timeout: Duration.Duration) => Effect.Effect<string, ForwardFailed>
  /** Called by the dispatcher when a ForwardReply arrives. */
  readonly complete: (requestId: number, ok: boolean, status: number, body: string) => Effect.Effect<void>
  /** Fails every call waiting on `peer` at once (say, it stopped being the leader). */
  readonly abandon: (peer: NodeId, reason: string) => void
}

export const makePeerCalls = (transport: TransportShape, maxPending: number): PeerCallsShape => {
  // Not a Map: see KeyedFifo (a follower forwards every write it is sent).
  const pending = new KeyedFifo<{ readonly peer: NodeId; readonly done: Deferred.Deferred<string, ForwardFailed> }>()
  let nextRequestId = 1

  const call = (peer: NodeId, actor: string, request: string, timeout: Duration.Duration) =>
    Effect.gen(function*() {
      if (pending.size >= maxPending) {
        return yield* new ForwardFailed({ peer, status: 503, reason: "too many requests waiting for other nodes" })
      }
      const requestId = nextRequestId++
      const done = yield* Deferred.make<string, ForwardFailed>()
      pending.push(requestId, { peer, done })
      yield* transport.send(peer, { _tag: "Forward", requestId, actor, request })
      return yield* Deferred.await(done).pipe(
        Effect.timeoutFail({
          duration: timeout,
          onTimeout: () =>
            new ForwardFailed({ peer, status: 503, timedOut: true, reason: `${peer} did not answer within ${Duration.format(timeout)}` })
        }),
        Effect.ensuring(Effect.sync(() => pending.take(requestId)))
      )
    })

  const complete = (requestId: number, ok: boolean, status: number, body: string) =>
    Effect.suspend(() => {
      const waiting = pending.get(requestId)
      if (waiting === undefined) return Effect.void // a late answer after a timeout
      return ok
        ? Deferred.succeed(waiting.done, body)
        : Deferred.fail(waiting.done, new ForwardFailed({ peer: waiting.peer, status, reason: body }))
    }).pipe(Effect.asVoid)

  const abandon = (peer: NodeId, reason: string) => {
    for (const [requestId, waiting] of pending.entries()) {
      if (waiting.peer !== peer) continue
      pending.take(requestId)
      Deferred.unsafeDone(waiting.done, Exit.fail(new ForwardFailed({ peer, status: 503, reason })))
    }
  }

  return { call, complete, abandon }
}
