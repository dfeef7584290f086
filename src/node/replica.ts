/**
 * A replica: everything of a node that is not I/O at its edges. Raft role, KV state machine,
 * KV service, failure detector and dispatcher, wired to a Transport and a RaftStore. The live
 * node adds sockets, HTTP and files around it; the simulation runs many of these in one process
 * on the simulated network and memory disks. Its roles run supervised in the replica's scope.
 */
import { Effect, Fiber, type Scope } from "effect"
import type { TroupeConfig } from "../../config/schema.js"
import type { NodeId } from "../config/servers.js"
import type { TransportShape } from "../net/Transport.js"
import { type ActorHandler, makeDispatcher } from "../roles/dispatcher.js"
import { type FailureDetectorShape, makeFailureDetector } from "../roles/failure-detector.js"
import { makeRaftRole, type RaftRoleOptions, type RaftRoleShape } from "../roles/raft-role.js"
import { onScheduler } from "../runtime/event-loop-turn-scheduler.js"
import { restartPolicyFrom, type RoleEscalated, supervise } from "../runtime/supervisor.js"
import type { RaftStoreShape } from "../storage/wal.js"
import { type KvMachine, makeKvMachine } from "./kv-machine.js"
import { type KvServiceShape, makeKvService } from "./kv-service.js"
import { Metrics } from "./metrics.js"
import { makePeerCalls, type PeerCallsShape } from "./peer-calls.js"

export interface Replica {
  readonly self: NodeId
  readonly raft: RaftRoleShape
  readonly kv: KvServiceShape
  readonly machine: KvMachine
  readonly detector: FailureDetectorShape
  readonly metrics: Metrics
  readonly peerCalls: PeerCallsShape
  /** Serves `Forward`s for another actor (e.g. "compute"): request text in, answer text out. */
  readonly serveActor: (actor: string, handler: ActorHandler) => void
  /** Completes (with the escalation) only if a role gives up; interrupt the scope to stop. */
  readonly roles: Fiber.Fiber<never, RoleEscalated>
}

export interface ReplicaOptions {
  readonly self: NodeId
  readonly members: ReadonlyArray<NodeId>
  readonly config: TroupeConfig
  readonly transport: TransportShape
  readonly store: RaftStoreShape
  readonly seed: number
  readonly metrics?: Metrics
  readonly onApply?: RaftRoleOptions["onApply"]
  readonly onSoftState?: RaftRoleOptions["onSoftState"]
  readonly loopScheduler?: RaftRoleOptions["loopScheduler"]
}

export const startReplica = (options: ReplicaOptions): Effect.Effect<Replica, never, Scope.Scope> =>
  Effect.gen(function*() {
    const { config, transport } = options
    const metrics = options.metrics ?? new Metrics()
    const peers = options.members.filter((member) => member !== options.self)
    const machine = makeKvMachine(config.kv)
    const peerCalls = makePeerCalls(transport, config.http.maxInflightRequests)
    let knownLeader: NodeId | null = null
    const raft = yield* makeRaftRole({
      self: options.self, peers, config, store: options.store, transport, machine, metrics, seed: options.seed,
      onApply: options.onApply,
      loopScheduler: options.loopScheduler,
      onSoftState: (soft) => {
        // Requests forwarded to a leader that is no more would wait out their timeout: fail them
        // now, so clients retry at once (with the same client id and seq, so exactly once).
        if (knownLeader !== null && soft.leader !== knownLeader) peerCalls.abandon(knownLeader, `${knownLeader} is no longer the leader`)
        knownLeader = soft.leader
        options.onSoftState?.(soft)
      }
    })
    const kv = makeKvService({ raft, machine, peers: peerCalls, forwardTimeout: config.http.forwardTimeout, limits: config.http })
    const detector = makeFailureDetector({
      peers, transport,
      heartbeatEvery: config.failureDetector.heartbeatEvery,
      suspectAfter: config.failureDetector.suspectAfter
    })
    const dispatcher = yield* makeDispatcher({
      transport, raft, kv, peerCalls, detector, metrics, maxConcurrentForwards: config.http.maxInflightRequests
    })
    const policy = restartPolicyFrom(config.runtime)
    const roles = yield* Effect.forkScoped(
      Effect.raceAll([
        supervise("raft", raft.run, policy),
        supervise("dispatcher", onScheduler(dispatcher.run, options.loopScheduler), policy),
        supervise("failure-detector", detector.run, policy)
      ])
    )
    return {
      self: options.self, raft, kv, machine, detector, metrics, peerCalls, roles,
      serveActor: dispatcher.serveActor
    }
  })
