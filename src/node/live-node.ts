/**
 * A live troupe node: one process per machine. It listens on its servers.txt address (TCP for
 * clients and peers through the port mux, UDP on the same port number for file transfer), keeps
 * its Raft log under the data folder, runs the replica's roles under supervision, and shuts
 * down gracefully: stop accepting, hand leadership over, let requests in flight finish (bounded),
 * flush storage. A role that escalates ends the node with a failure (non-zero exit).
 */
import * as path from "node:path"
import { type Duration, Effect, Fiber, type Scope } from "effect"
import type { TroupeConfig } from "../../config/schema.js"
import type { ServerEntry } from "../config/servers.js"
import { servePrimes } from "../compute/primes-server.js"
import { Compute, makeCompute } from "../compute/service.js"
import { makeAcceptor } from "../http/acceptor.js"
import { DatagramLive } from "../net/datagram.js"
import { restartPolicyFrom, supervise } from "../runtime/supervisor.js"
import { makeRpcListener } from "../sdk/serve.js"
import { folderSink } from "../transfer/folder-sink.js"
import { runReceiver } from "../transfer/receiver.js"
import { makePortMux, PortMux } from "../net/port-mux.js"
import { makeTcpTransport } from "../net/tcp-transport.js"
import { eventLoopTurnScheduler } from "../runtime/event-loop-turn-scheduler.js"
import { makeFileStorage } from "../storage/file-storage.js"
import { makeRaftStore } from "../storage/wal.js"
import { computeActorHandler, makeComputeBroker } from "./compute-broker.js"
import { counterLines } from "./metrics.js"
import { startReplica } from "./replica.js"

export interface LiveNodeOptions {
  readonly self: ServerEntry
  readonly servers: ReadonlyArray<ServerEntry>
  readonly dataDir: string
  readonly config: TroupeConfig
}

/** Waits until this node is no longer leader, or the deadline passes. */
const awaitLeadershipHandedOver = (replica: { raft: { status: Effect.Effect<{ role: string }> } }, within: Duration.Duration) =>
  Effect.gen(function*() {
    while ((yield* replica.raft.status).role === "leader") yield* Effect.sleep("10 millis")
  }).pipe(Effect.timeout(within), Effect.ignore)

export const runLiveNode = (options: LiveNodeOptions): Effect.Effect<never, unknown, Scope.Scope> =>
  Effect.gen(function*() {
    const { config, self } = options
    const mux = yield* makePortMux({
      host: self.host,
      port: self.port,
      sniffTimeout: config.wire.sniffTimeout,
      maxConnections: config.http.maxInflightRequests + 64,
      maxRequestLineBytes: config.http.maxRequestBytes
    })
    const transport = yield* makeTcpTransport({
      config,
      self: { id: self.id, host: self.host },
      peers: options.servers.map(({ host, id, port }) => ({ id, host, port }))
    }).pipe(Effect.provideService(PortMux, mux))
    const files = yield* makeFileStorage(path.join(options.dataDir, "raft"))
    const store = yield* makeRaftStore(files.storage, config.storage)
    const replica = yield* startReplica({
      self: self.id,
      members: options.servers.map((server) => server.id),
      config,
      transport,
      store,
      seed: Math.floor(Math.random() * 2 ** 31),
      loopScheduler: eventLoopTurnScheduler
    })
    const compute = yield* makeCompute({ config, broker: makeComputeBroker(replica, config.compute.callTimeout) })
    replica.serveActor("compute", computeActorHandler(compute, replica))
    if (config.compute.primesPort > 0) {
      // The Lab02 line protocol, when the operator turns it on: its own port, same worker pool.
      yield* servePrimes({
        host: self.host,
        port: config.compute.primesPort,
        compute,
        maxConnections: config.http.maxInflightRequests,
        maxPendingLines: config.compute.queueCapacity
      })
    }
    const rpc = yield* makeRpcListener({ kv: replica.kv, raft: replica.raft }).pipe(Effect.provideService(Compute, compute))
    const acceptor = yield* makeAcceptor({
      replica,
      config,
      rpc,
      extraStatus: () => Effect.map(transport.stats, (stats) => ({ transport: stats })),
      extraMetrics: () =>
        Effect.zipWith(transport.stats, store.stats, (wire, wal) =>
          counterLines("troupe_peer", "Traffic between nodes", {
            sentMessages: wire.sentMessages, sentBytes: wire.sentBytes,
            receivedMessages: wire.receivedMessages, receivedBytes: wire.receivedBytes,
            droppedQueueFull: wire.droppedQueueFull, rejectedFrames: wire.rejectedFrames
          }) + counterLines("troupe_wal", "Write-ahead log", { ...wal }))
    })
    yield* mux.serveHttp(acceptor.server)
    // Finalizers run last-in first-out: this one runs first on shutdown.
    yield* Effect.addFinalizer(() =>
      Effect.gen(function*() {
        yield* Effect.logInfo("shutting down: handing over leadership and draining requests")
        if ((yield* replica.raft.status).role === "leader") {
          yield* replica.raft.transferLeadership()
          yield* awaitLeadershipHandedOver(replica, config.raft.electionTimeoutMax)
        }
        acceptor.server.closeIdleConnections()
        // Requests in flight finish (each is bounded by http.requestTimeout); the whole shutdown
        // is bounded by runtime.shutdownGrace below.
        while (acceptor.inFlight() > 0) yield* Effect.sleep("10 millis")
      }).pipe(Effect.timeout(config.runtime.shutdownGrace), Effect.ignore)
    )
    // The file-transfer role: UDP on the node's port number, files land in <data>/files.
    const receiver = yield* Effect.forkScoped(supervise(
      "file-transfer",
      runReceiver({ host: self.host, port: self.port, sink: folderSink(path.join(options.dataDir, "files")), config }).pipe(
        Effect.scoped,
        Effect.provide(DatagramLive)
      ),
      restartPolicyFrom(config.runtime)
    ))
    yield* Effect.logInfo(`troupe node ${self.id} listening (data in ${options.dataDir})`)
    return yield* Fiber.join(Fiber.zipWith(replica.roles, receiver, (never) => never))
  })

