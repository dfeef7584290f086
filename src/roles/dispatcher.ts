/**
 * The dispatcher: takes every authenticated message the transport delivers, a batch at a time,
 * and hands each to the role it is for. Forwarded client requests run in their own fibers
 * (at most maxConcurrentForwards, past it answered 503 at once) so a slow write never holds up
 * Raft traffic.
 */
import { Effect } from "effect"
import type { TransportShape } from "../net/Transport.js"
import type { Metrics } from "../node/metrics.js"
import { failureStatus, type KvServiceShape, parseForwarded } from "../node/kv-service.js"
import type { PeerCallsShape } from "../node/peer-calls.js"
import type { PeerMessage } from "../wire/messages.js"
import type { FailureDetectorShape } from "./failure-detector.js"
import type { RaftRoleShape } from "./raft-role.js"

/** An actor served to peers: its answer text, or a failure with an HTTP-like status. */
export type ActorHandler = (request: string) => Effect.Effect<string, { readonly status: number; readonly message: string }>

export const makeDispatcher = (options: {
  readonly transport: TransportShape
  readonly raft: RaftRoleShape
  readonly kv: KvServiceShape
  readonly peerCalls: PeerCallsShape
  readonly detector: FailureDetectorShape
  readonly metrics: Metrics
  readonly maxConcurrentForwards: number
}) => Effect.gen(function*() {
  const { detector, kv, metrics, peerCalls, raft, transport } = options
  const actors = new Map<string, ActorHandler>()
  let forwardsInFlight = 0
  // Forwarded requests live as long as the replica, not longer: a crashed node leaves none behind.
  const scope = yield* Effect.scope
  const clock = yield* Effect.clock

  /** A forwarded KV request is served here or not at all (never forwarded again). */
  actors.set("kv", (body) => {
    const request = parseForwarded(body)
    if (request._tag === "Left") return Effect.fail({ status: 400, message: request.left.message })
    return kv.executeLocally(request.right).pipe(
      Effect.mapBoth({
        onFailure: (error) => ({ status: failureStatus(error), message: error.message }),
        onSuccess: (result) => JSON.stringify(result)
      })
    )
  })

  const serveForward = (from: string, requestId: number, handler: ActorHandler, body: string) =>
    Effect.gen(function*() {
      const outcome = yield* handler(body).pipe(
        Effect.match({
          onFailure: (error) => ({ ok: false, status: error.status, body: error.message }),
          onSuccess: (answer) => ({ ok: true, status: 200, body: answer })
        })
      )
      yield* transport.send(from, { _tag: "ForwardReply", requestId, ...outcome })
    })

  /** A forwarded request: served in its own fiber, or refused at once past the bound. */
  const acceptForward = (from: string, message: Extract<PeerMessage, { _tag: "Forward" }>): Effect.Effect<void> => {
    const handler = actors.get(message.actor)
    if (handler === undefined) {
      metrics.inc("troupe_dropped_messages_total", "Peer messages dropped", { reason: "unknown-actor" })
      return Effect.void
    }
    if (forwardsInFlight >= options.maxConcurrentForwards) {
      const reply = { requestId: message.requestId, ok: false, status: 503, body: "leader is overloaded" }
      return transport.send(from, { _tag: "ForwardReply", ...reply })
    }
    forwardsInFlight++
    return Effect.asVoid(Effect.forkIn(serveForward(from, message.requestId, handler, message.request).pipe(
      Effect.ensuring(Effect.sync(() => { forwardsInFlight-- }))
    ), scope))
  }

  /**
   * Everything that arrived, at once: Raft traffic and liveness are handled by plain calls;
   * only what must wait or send (pings, forwards, their replies) becomes an effect.
   */
  const dispatchAll = Effect.flatMap(transport.receiveAll, (batch) => {
    const nowMs = clock.unsafeCurrentTimeMillis()
    const effects: Array<Effect.Effect<void>> = []
    for (const { from, message } of batch) {
      detector.heard(from, nowMs)
      switch (message._tag) {
        case "Ping":
          effects.push(detector.onPing(from, message.seq, message.sentAtMs))
          break
        case "Pong":
          detector.onPong(from, message.sentAtMs, nowMs)
          break
        case "Forward":
          effects.push(acceptForward(from, message))
          break
        case "ForwardReply":
          effects.push(peerCalls.complete(message.requestId, message.ok, message.status, message.body))
          break
        default:
          raft.receiveNow(from, message)
      }
    }
    return effects.length === 0 ? Effect.void : Effect.all(effects, { discard: true })
  })

  return {
    run: Effect.forever(dispatchAll),
    serveActor: (actor: string, handler: ActorHandler) => { actors.set(actor, handler) }
  }
})
