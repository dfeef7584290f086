/**
 * Mounts the typed SDK on a node: the KV and compute RPC groups behind POST /rpc (NDJSON), as a
 * node:http request listener the acceptor calls.
 */
import * as NodeHttpServer from "@effect/platform-node/NodeHttpServer"
import { RpcSerialization, RpcServer } from "@effect/rpc"
import { Effect, Layer } from "effect"
import { ComputeHandlersLive, ComputeRpcs } from "../compute/rpc.js"
import { failureStatus, type KvFailure, type KvServiceShape } from "../node/kv-service.js"
import type { RaftRoleShape } from "../roles/raft-role.js"
import { KvError, KvRpcs } from "./kv-rpcs.js"

const kvErrorOf = (error: KvFailure, leader: string | null): KvError => {
  const status = failureStatus(error)
  const reason = status === 400 ? "BadRequest" : error._tag === "OutcomeUnknown" || error._tag === "ForwardFailed" ? "Unknown" : "Unavailable"
  return new KvError({ reason, message: error.message, leader })
}

export const NodeRpcs = KvRpcs.merge(ComputeRpcs)

const kvHandlers = (kv: KvServiceShape, raft: RaftRoleShape) =>
  KvRpcs.toLayer({
    Kv: ({ request }) =>
      kv.execute(request).pipe(
        Effect.catchAll((error) => Effect.flatMap(raft.status, (status) => Effect.fail(kvErrorOf(error, status.leader))))
      )
  })

/** The /rpc listener for this node; lives as long as the scope. */
export const makeRpcListener = (options: { readonly kv: KvServiceShape; readonly raft: RaftRoleShape }) =>
  Effect.gen(function*() {
    const app = yield* RpcServer.toHttpApp(NodeRpcs, { disableTracing: true })
    return yield* NodeHttpServer.makeHandler(app)
  }).pipe(
    Effect.provide(Layer.mergeAll(kvHandlers(options.kv, options.raft), ComputeHandlersLive, RpcSerialization.layerNdjson))
  )

