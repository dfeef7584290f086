/**
 * SimNetwork: an in-memory network for many simulated nodes in one process, the sim layer of
 * `Transport`. Every delay is measured with Effect's Clock and every fault is drawn from a seeded
 * PRNG (random.ts), so under `TestClock` a run is fully reproducible: the same seed and the same
 * sequence of sends give the same deliveries in the same order, and the same trace.
 *
 * Driving it from a harness (a test or the `sim` command):
 *   1. `const network = yield* SimNetwork.make({ seed, nodes })` inside a scope, with TestClock
 *      as the Clock (it.effect / it.scoped provide it).
 *   2. For each node, fork its roles with `network.layerFor(id)` (or `transportFor(id)`)
 *      providing `Transport`; keep the fibers so a crash can interrupt them.
 *   3. Advance time with `TestClock.adjust` in small steps (e.g. 1 ms or one Raft tick) in a
 *      bounded loop, injecting faults and checking invariants between steps. A message sent at t
 *      with delay d is delivered exactly when the clock reaches t+d: one timer fiber per distinct
 *      delivery instant sleeps until it. TestClock runs every sleeper in time order and lets all
 *      fibers settle in between, so even one large adjust is deterministic; small steps only
 *      give the harness more points to act and observe. Each sleeper TestClock visits costs a
 *      few real event-loop turns (it polls until fibers settle), so sim wall time grows with
 *      the number of distinct delivery instants, not with the simulated duration.
 *   4. To crash a node: interrupt its fibers, then `network.crash(id)` (its inbox is discarded,
 *      in-flight messages to it are lost); later `network.restart(id)` and fork fresh fibers.
 *      To pause: suspend its fibers (e.g. make its role loops wait on a latch), then
 *      `network.pause(id)`; messages to it are held until `network.resume(id)`.
 *   5. Compare runs with `network.traceDigest` (covers every event) or read `network.trace`.
 *      Print the seed when a check fails so the run can be replayed.
 *
 * Trace times are milliseconds since the network was made.
 */
import { Clock, Duration, Effect, Either, FiberSet, Layer, Queue, type Scope } from "effect"
import { takeAvailable } from "../runtime/take-available.js"
import type { TroupeConfig } from "../../config/schema.js"
import { defaultConfig } from "../config/load.js"
import type { NodeId } from "../config/servers.js"
import { type Inbound, type Outbound, Transport, type TransportShape, type TransportStats } from "../net/Transport.js"
import {
  healedTopology,
  type LinkFaults,
  linkKey,
  mergeLinkFaults,
  perfectLink,
  SimFaultError,
  type Topology,
  withBridge,
  withCut,
  withIsolated,
  withPartition
} from "./faults.js"
import { type Fate, NetworkCore } from "./network-core.js"
import { normalizeSeed } from "./random.js"
import { SimNode, type SimNodeStatus } from "./sim-node.js"

/** Trace lines kept in memory when the caller does not say; the digest covers all of them. */
export const DEFAULT_TRACE_CAPACITY = 100_000

export interface SimNetworkOptions {
  readonly seed: number | string
  readonly nodes: ReadonlyArray<NodeId>
  /** Limits come from here: `wire.peerSendQueueCapacity`, `wire.maxFrameBytes`. Default: defaultConfig(). */
  readonly config?: TroupeConfig
  /** Faults of every link unless overridden per link. Default: perfectLink. */
  readonly linkFaults?: Partial<LinkFaults>
  readonly traceCapacity?: number
}

type Fallible<A = void> = Effect.Effect<A, SimFaultError>

export interface SimNetwork {
  /** The normalized 32-bit seed, to print on failure. */
  readonly seed: number
  readonly transportFor: (node: NodeId) => Fallible<TransportShape>
  readonly layerFor: (node: NodeId) => Layer.Layer<Transport, SimFaultError>
  readonly addNode: (node: NodeId) => Fallible
  /** Changes the faults of every link that has no override of its own. */
  readonly setDefaultLinkFaults: (update: Partial<LinkFaults>) => Fallible
  /** Overrides the faults of the directed link from -> to (starting from its current faults). */
  readonly setLinkFaults: (from: NodeId, to: NodeId, update: Partial<LinkFaults>) => Fallible
  readonly clearLinkOverrides: Effect.Effect<void>
  /** Symmetric partition: nodes reach only nodes of their own group (unlisted nodes form one group). */
  readonly partition: (groups: ReadonlyArray<ReadonlyArray<NodeId>>) => Fallible
  /** One-way cut: from -> to is dropped, to -> from still works. Adds to existing cuts. */
  readonly cut: (from: NodeId, to: NodeId) => Fallible
  readonly isolate: (node: NodeId) => Fallible
  /** `left` and `right` are partitioned from each other; `bridge` reaches both. */
  readonly bridge: (left: ReadonlyArray<NodeId>, right: ReadonlyArray<NodeId>, bridge: NodeId) => Fallible
  /** Removes partitions, cuts and isolation (link faults stay). */
  readonly heal: Effect.Effect<void>
  readonly crash: (node: NodeId) => Fallible
  readonly restart: (node: NodeId) => Fallible
  readonly pause: (node: NodeId) => Fallible
  readonly resume: (node: NodeId) => Fallible
  readonly status: (node: NodeId) => Fallible<SimNodeStatus>
  readonly stats: (node: NodeId) => Fallible<TransportStats>
  /** How many messages met each fate so far. */
  readonly fateCounts: Effect.Effect<ReadonlyMap<Fate, number>>
  /** Messages scheduled and not yet due. */
  readonly inFlight: Effect.Effect<number>
  readonly trace: Effect.Effect<ReadonlyArray<string>>
  readonly traceDigest: Effect.Effect<string>
}

const fromEither = <A>(either: Either.Either<A, SimFaultError>): Fallible<A> =>
  Either.isLeft(either) ? Effect.fail(either.left) : Effect.succeed(either.right)

/**
 * One timer fiber per distinct delivery instant: it sleeps on the Clock until then and delivers
 * everything due. Interrupted sleeps are never left behind (TestClock would still visit them),
 * and which timer fires first does not matter: `deliverDue` orders by (time, send order).
 */
const armTimer = (shell: Shell, nowMs: number, deliverAtMs: number) =>
  FiberSet.run(
    shell.timers,
    // Forked from an uninterruptible send: made interruptible again so closing the scope ends it.
    Effect.interruptible(
      Effect.zipRight(Effect.sleep(Duration.millis(deliverAtMs - nowMs)), shell.atNow((atMs) => shell.core.deliverDue(atMs)))
    )
  )

const validateNodes = (operation: string, core: NetworkCore, nodes: ReadonlyArray<NodeId>): Fallible =>
  Effect.forEach(nodes, (node) => fromEither(core.node(operation, node)), { discard: true })

/** What the pieces of one network share: its core, its time since start, its limits. */
interface Shell {
  readonly core: NetworkCore
  readonly capacity: number
  readonly timers: FiberSet.FiberSet<void>
  readonly atNow: <A>(f: (nowMs: number) => A) => Effect.Effect<A>
}

const makeTransportFor = (shell: Shell) => (self: NodeId): Fallible<TransportShape> => {
  // Uninterruptible: an instant marked armed must get its timer, or its messages would stall.
  const sendAll = (messages: ReadonlyArray<Outbound>) =>
    Effect.uninterruptible(Effect.flatMap(
      shell.atNow((nowMs) => ({ nowMs, instants: messages.flatMap(({ message, to }) => shell.core.send(nowMs, self, to, message)) })),
      ({ instants, nowMs }) => Effect.forEach(instants, (atMs) => armTimer(shell, nowMs, atMs), { discard: true })
    ))
  return Effect.as(fromEither(shell.core.node("transportFor", self)), {
    self,
    send: (to, message) => sendAll([{ to, message }]),
    sendAll,
    // Reads the current inbox each time, so one TransportShape keeps working across restarts.
    receive: Effect.suspend(() => Queue.take(shell.core.nodes.get(self)!.inbox)),
    receiveAll: Effect.suspend(() =>
      takeAvailable(shell.core.nodes.get(self)!.inbox, Number.MAX_SAFE_INTEGER)),
    stats: Effect.sync(() => shell.core.nodes.get(self)!.stats())
  })
}

const makeAddNode = ({ capacity, core }: Shell) => (node: NodeId): Fallible =>
  core.nodes.has(node)
    ? Effect.fail(new SimFaultError({ operation: "addNode", problem: `node "${node}" already exists` }))
    : Effect.map(Queue.dropping<Inbound>(capacity), (inbox) => {
      core.nodes.set(node, new SimNode(node, inbox))
    })

type TopologyControls = Pick<SimNetwork, "partition" | "cut" | "isolate" | "bridge" | "heal">

const makeTopologyControls = ({ atNow, core }: Shell): TopologyControls => {
  const change = (operation: string, nodes: ReadonlyArray<NodeId>, description: string, apply: () => Topology) =>
    Effect.zipRight(validateNodes(operation, core, nodes), atNow((nowMs) => {
      core.topology = apply()
      core.event(nowMs, `${operation} ${description}`)
    }))
  return {
    partition: (groups) =>
      change("partition", groups.flat(), groups.map((group) => `[${group.join(",")}]`).join(" "), () =>
        withPartition(core.topology, groups)),
    cut: (from, to) => change("cut", [from, to], `${from}>${to}`, () => withCut(core.topology, from, to)),
    isolate: (node) => change("isolate", [node], node, () => withIsolated(core.topology, node)),
    bridge: (left, right, node) =>
      change("bridge", [...left, ...right, node], `[${left.join(",")}] ${node} [${right.join(",")}]`, () =>
        withBridge(core.topology, left, right, node)),
    heal: atNow((nowMs) => {
      core.topology = healedTopology
      core.event(nowMs, "heal")
    })
  }
}

type LifecycleControls = Pick<SimNetwork, "crash" | "restart" | "pause" | "resume">

const makeLifecycleControls = ({ atNow, capacity, core }: Shell): LifecycleControls => {
  const withNode = (operation: string, node: NodeId, expected: ReadonlyArray<SimNodeStatus>): Fallible<SimNode> =>
    Effect.flatMap(fromEither(core.node(operation, node)), (found) =>
      expected.includes(found.status)
        ? Effect.succeed(found)
        : Effect.fail(new SimFaultError({ operation, problem: `node "${node}" is ${found.status}` })))
  return {
    crash: (node) =>
      withNode("crash", node, ["up", "paused"]).pipe(
        Effect.flatMap((found) => atNow((nowMs) => core.crash(nowMs, found))),
        // Shutting the old inbox down also releases any fiber still blocked in `receive`.
        Effect.flatMap(Queue.shutdown)
      ),
    restart: (node) =>
      Effect.flatMap(withNode("restart", node, ["crashed"]), (found) =>
        Effect.flatMap(Queue.dropping<Inbound>(capacity), (inbox) => atNow((nowMs) => core.restart(nowMs, found, inbox)))),
    pause: (node) => Effect.flatMap(withNode("pause", node, ["up"]), (found) => atNow((nowMs) => core.pause(nowMs, found))),
    resume: (node) =>
      Effect.flatMap(withNode("resume", node, ["paused"]), (found) => atNow((nowMs) => core.resume(nowMs, found)))
  }
}

type FaultControls = Pick<SimNetwork, "setDefaultLinkFaults" | "setLinkFaults" | "clearLinkOverrides">

const makeFaultControls = ({ core }: Shell): FaultControls => ({
  setDefaultLinkFaults: (update) =>
    Effect.map(fromEither(mergeLinkFaults("setDefaultLinkFaults", core.defaultFaults, update)), (faults) => {
      core.defaultFaults = faults
    }),
  setLinkFaults: (from, to, update) =>
    Effect.zipRight(
      validateNodes("setLinkFaults", core, [from, to]),
      Effect.map(fromEither(mergeLinkFaults("setLinkFaults", core.faultsFor(from, to), update)), (faults) => {
        core.linkFaults.set(linkKey(from, to), faults)
      })
    ),
  clearLinkOverrides: Effect.sync(() => core.linkFaults.clear())
})

export const make = (options: SimNetworkOptions): Effect.Effect<SimNetwork, SimFaultError, Scope.Scope> =>
  Effect.gen(function*() {
    const config = options.config ?? defaultConfig()
    const defaultFaults = yield* fromEither(mergeLinkFaults("make", perfectLink, options.linkFaults ?? {}))
    const core = new NetworkCore({
      seed: options.seed,
      queueCapacity: config.wire.peerSendQueueCapacity,
      maxFrameBytes: config.wire.maxFrameBytes,
      defaultFaults,
      traceCapacity: options.traceCapacity ?? DEFAULT_TRACE_CAPACITY
    })
    const startMs = yield* Clock.currentTimeMillis
    const elapsedMs = Effect.map(Clock.currentTimeMillis, (nowMs) => nowMs - startMs)
    const shell: Shell = {
      core,
      capacity: config.wire.peerSendQueueCapacity,
      timers: yield* FiberSet.make<void>(),
      atNow: (f) => Effect.flatMap(elapsedMs, (nowMs) => Effect.sync(() => f(nowMs)))
    }
    const addNode = makeAddNode(shell)
    yield* Effect.forEach(options.nodes, addNode, { discard: true })
    const transportFor = makeTransportFor(shell)
    return {
      seed: normalizeSeed(options.seed),
      transportFor,
      layerFor: (node) => Layer.effect(Transport, transportFor(node)),
      addNode,
      ...makeFaultControls(shell),
      ...makeTopologyControls(shell),
      ...makeLifecycleControls(shell),
      status: (node) => Effect.map(fromEither(core.node("status", node)), (found) => found.status),
      stats: (node) => Effect.map(fromEither(core.node("stats", node)), (found) => found.stats()),
      fateCounts: Effect.sync(() => new Map(core.fateCounts)),
      inFlight: Effect.sync(() => core.inFlight),
      trace: Effect.sync(() => core.trace.snapshot()),
      traceDigest: Effect.sync(() => core.trace.digest())
    }
  })

export const SimNetwork = { make } as const
