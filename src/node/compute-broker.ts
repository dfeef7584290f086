/**
 * The compute broker (Lab03): when this node's worker pool is saturated, a call is offered to a
 * reachable peer over the peer links (`Forward`, actor "compute"); the peer runs it on its own
 * pool, never forwarding it again. Peers are tried round-robin, one per call: if that peer
 * cannot take it, the call queues locally as if there were no broker.
 */
import { Duration, Effect, Either, Option, Schema } from "effect"
import type { ComputeOp } from "../../actors/compute.js"
import { type ComputeCall, computeResultSchemas, decodeComputeCall, encodeComputeCall } from "../compute/call.js"
import type { ComputeInput, ComputeOutput } from "../compute/call.js"
import type { ComputeError } from "../compute/errors.js"
import type { ComputeBrokerShape, ComputeShape } from "../compute/service.js"
import type { ActorHandler } from "../roles/dispatcher.js"
import type { Replica } from "./replica.js"
import { decodeUnknownTotal } from "../wire/total-decode.js"

const callOf = <Op extends ComputeOp>(op: Op, input: ComputeInput<Op>): ComputeCall =>
  ({ _tag: op, ...(input as object) }) as ComputeCall

export const makeComputeBroker = (replica: Replica, timeout: Duration.Duration): ComputeBrokerShape => {
  let next = 0
  return {
    offload: (op, input) => Effect.gen(function*() {
      const view = yield* replica.detector.view
      const reachable = Object.entries(view).filter(([, peer]) => peer.reachable).map(([id]) => id)
      if (reachable.length === 0) return Option.none()
      const peer = reachable[next++ % reachable.length]!
      const answer = yield* Effect.either(replica.peerCalls.call(peer, "compute", encodeComputeCall(callOf(op, input)), timeout))
      if (Either.isLeft(answer)) return Option.none()
      replica.metrics.inc("troupe_compute_offloaded_total", "Compute calls run on a peer because the local pool was saturated")
      const resultSchema = computeResultSchemas[op] as unknown as Schema.Schema<ComputeOutput<typeof op>, unknown>
      const decoded = decodeUnknownTotal(Schema.parseJson(resultSchema))(answer.right)
      return Either.isRight(decoded) ? Option.some(decoded.right) : Option.none()
    })
  }
}

/** Serves calls offloaded by peers on this node's own pool. */
export const computeActorHandler = (compute: ComputeShape, replica: Replica): ActorHandler => (request) => {
  replica.metrics.inc("troupe_compute_served_for_peers_total", "Compute calls run here for a saturated peer")
  const call = decodeComputeCall(request)
  if (Either.isLeft(call)) return Effect.fail({ status: 400, message: "malformed compute call" })
  const { _tag: op, ...input } = call.right
  return compute.runLocal(op, input as never).pipe(
    Effect.map((output) => JSON.stringify(Schema.encodeSync(computeResultSchemas[op] as Schema.Schema<unknown, unknown>)(output))),
    Effect.mapError((error: ComputeError) => ({ status: error.reason === "BadInput" ? 400 : 503, message: error.message }))
  )
}
