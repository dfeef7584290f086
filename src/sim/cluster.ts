/**
 * SimCluster: a whole troupe cluster in one process. Every node runs the real replica (Raft
 * role, KV state machine, KV service, failure detector, dispatcher) on the simulated network and
 * its own memory disk, under whatever Clock the caller provides (TestClock in tests and in
 * `troupe sim`). Crashes interrupt a node's fibers and lose its unsynced writes (optionally
 * tearing the last one); restarts rebuild it from its disk.
 */
import { type Duration, Effect, Exit, Random, Scope } from "effect"
import type { TroupeConfig } from "../../config/schema.js"
import { defaultConfig } from "../config/load.js"
import type { NodeId } from "../config/servers.js"
import { type Replica, startReplica } from "../node/replica.js"
import { MemoryDisk } from "../storage/memory-storage.js"
import { makeRaftStore } from "../storage/wal.js"
import type { LinkFaults } from "./faults.js"
import { SimNetwork } from "./network.js"
import { Prng } from "./random.js"
import { SafetyMonitor } from "./safety-monitor.js"

interface SimMember {
  readonly id: NodeId
  readonly disk: MemoryDisk
  replica: Replica | undefined
  scope: Scope.CloseableScope | undefined
  boots: number
}

export interface SimClusterOptions {
  readonly seed: number
  readonly size: number
  readonly config?: TroupeConfig
  readonly linkFaults?: Partial<LinkFaults>
  /** How long each node's disk takes per sync (default: none). */
  readonly diskSyncDelay?: Duration.DurationInput
}

export const simNodeIds = (size: number): ReadonlyArray<NodeId> =>
  Array.from({ length: size }, (_, i) => `10.0.0.${i + 1}:7000`)

export const makeSimCluster = (options: SimClusterOptions) =>
  Effect.gen(function*() {
    const config = options.config ?? defaultConfig()
    const ids = simNodeIds(options.size)
    const network = yield* SimNetwork.make({
      seed: options.seed, nodes: ids, config, ...(options.linkFaults === undefined ? {} : { linkFaults: options.linkFaults })
    })
    const prng = new Prng(options.seed).fork("cluster")
    const monitor = new SafetyMonitor()
    const clock = yield* Effect.clock
    const diskOptions = options.diskSyncDelay === undefined ? {} : { syncDelay: options.diskSyncDelay }
    const members = new Map<NodeId, SimMember>(ids.map((id) => [id, { id, disk: MemoryDisk.make(diskOptions), replica: undefined, scope: undefined, boots: 0 }]))

    const member = (id: NodeId): SimMember => {
      const found = members.get(id)
      if (found === undefined) throw new Error(`no simulated node ${id}`)
      return found
    }

    const boot = (id: NodeId) => Effect.gen(function*() {
      const node = member(id)
      const scope = yield* Scope.make()
      const transport = yield* network.transportFor(id)
      const store = yield* makeRaftStore(node.disk.storage(), config.storage)
      node.boots++
      node.replica = yield* startReplica({
        self: id, members: ids, config, transport, store, seed: prng.fork(`${id}#${node.boots}`).nextUint32(),
        onApply: (entry) => monitor.entryApplied(clock.unsafeCurrentTimeMillis(), id, entry),
        onSoftState: (soft) => {
          if (soft.role === "leader") monitor.leaderSeen(clock.unsafeCurrentTimeMillis(), soft.term, id)
        }
      }).pipe(Scope.extend(scope))
      node.scope = scope
    })

    const stop = (node: SimMember) => Effect.gen(function*() {
      if (node.scope !== undefined) yield* Scope.close(node.scope, Exit.void)
      node.scope = undefined
      node.replica = undefined
    })

    yield* Effect.forEach(ids, boot, { discard: true })

    yield* Effect.addFinalizer(() => Effect.forEach([...members.values()], stop, { discard: true }))

    return {
      ids,
      monitor,
      network,
      config,
      replica: (id: NodeId): Replica | undefined => member(id).replica,
      isUp: (id: NodeId) => member(id).replica !== undefined,
      /**
       * Kills a node: its unsynced writes are lost (or torn, if `torn`), then its fibers stop.
       * Power goes first, as in a real crash: a write in flight does not get to finish (and to be
       * answered for) while the fibers wind down.
       */
      crash: (id: NodeId, torn = false) => Effect.gen(function*() {
        const node = member(id)
        if (node.replica === undefined) return
        yield* network.crash(id)
        yield* node.disk.crash(torn ? { _tag: "TornWrite", random: Random.make(prng.nextUint32()) } : { _tag: "DropUnsynced" })
        yield* stop(node)
      }),
      restart: (id: NodeId) => Effect.gen(function*() {
        if (member(id).replica !== undefined) return
        yield* network.restart(id)
        yield* boot(id)
      }),
      /** The leader of the highest term that some live node believes in, if any. */
      leader: Effect.gen(function*() {
        let best: { id: NodeId; term: number } | undefined
        for (const node of members.values()) {
          if (node.replica === undefined) continue
          const status = yield* node.replica.raft.status
          if (status.role === "leader" && (best === undefined || status.term > best.term)) best = { id: node.id, term: status.term }
        }
        return best
      })
    }
  })

export type SimCluster = Effect.Effect.Success<ReturnType<typeof makeSimCluster>>
