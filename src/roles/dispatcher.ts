/**
 * The dispatcher: takes every authenticated message the transport delivers and hands it to the
 * role it is for. Forwarded client requests run in their own fibers (bounded by a semaphore) so
 * a slow write never holds up Raft traffic.
 */
import { Effect } from "effect"
import type { TransportShape } from "../net/Transport.js"
import type { Metrics } from "../node/metrics.js"
import { failureStatus, type KvServiceShape, parseForwarded } from "../node/kv-service.js"
import type { FailureDetectorShape } from "./failure-detector.js"
import type { RaftRoleShape } from "./raft-role.js"

export const makeDispatcher = (options: {
  readonly transport: TransportShape
  readonly raft: RaftRoleShape
  readonly kv: KvServiceShape
  readonly detector: FailureDetectorShape
  readonly metrics: Metrics
  readonly maxConcurrentForwards: number
}) => Effect.gen(function*() {
  const { detector, kv, metrics, raft, transport } = options
  let forwardsInFlight = 0
  // Forwarded requests live as long as the replica, not longer: a crashed node leaves none behind.
  const scope = yield* Effect.scope

  const serveForward = (from: string, requestId: number, body: string) =>
    Effect.gen(function*() {
      const request = parseForwarded(body)
      const outcome = request._tag === "Left"
        ? { ok: false, status: 400, body: request.left.message }
        : yield* kv.executeLocally(request.right).pipe(
          Effect.match({
            onFailure: (error) => ({ ok: false, status: failureStatus(error), body: error.message }),
            onSuccess: (result) => ({ ok: true, status: 200, body: JSON.stringify(result) })
          })
        )
      yield* transport.send(from, { _tag: "ForwardReply", requestId, ...outcome })
    })

  const dispatchOne = Effect.gen(function*() {
    const { from, message } = yield* transport.receive
    yield* detector.heard(from)
    switch (message._tag) {
      case "Ping":
        return yield* detector.onPing(from, message.seq, message.sentAtMs)
      case "Pong":
        return yield* detector.onPong(from, message.sentAtMs)
      case "Forward": {
        if (message.actor !== "kv") {
          metrics.inc("troupe_dropped_messages_total", "Peer messages dropped", { reason: "unknown-actor" })
          return
        }
        if (forwardsInFlight >= options.maxConcurrentForwards) {
          const reply = { requestId: message.requestId, ok: false, status: 503, body: "leader is overloaded" }
          return yield* transport.send(from, { _tag: "ForwardReply", ...reply })
        }
        forwardsInFlight++
        yield* Effect.forkIn(serveForward(from, message.requestId, message.request).pipe(
          Effect.ensuring(Effect.sync(() => { forwardsInFlight-- }))
        ), scope)
        return
      }
      case "ForwardReply":
        return yield* kv.completeForward(message.requestId, message.ok, message.status, message.body)
      default:
        return yield* raft.receive(from, message)
    }
  })

  return { run: Effect.forever(dispatchOne) }
})
