/**
 * Carrying out one planned fault against the real cluster: SIGKILL then restart, SIGSTOP then
 * SIGCONT, or an iptables partition cutting one node off from the others. The heal runs even
 * when the run is interrupted in the middle of a fault.
 */
import { Duration, Effect } from "effect"
import type { ExecutedFault } from "./analysis.js"
import type { Firewall } from "./firewall.js"
import type { ProcessCluster } from "../process/cluster.js"
import type { RunRecorder } from "./recorder.js"
import type { PlannedFault } from "./schedule.js"

export interface FaultContext {
  readonly cluster: ProcessCluster
  readonly firewall: Firewall | undefined
  /** Why partitions are skipped, when `firewall` is undefined. */
  readonly partitionUnavailable: string
  readonly recorder: RunRecorder
  readonly statusTimeout: Duration.Duration
}

/** The leader of the highest term any running node reports, else undefined. */
const currentLeader = (context: FaultContext) =>
  Effect.gen(function*() {
    const { cluster } = context
    const running = cluster.nodes.filter((node) => cluster.isRunning(node.index))
    const statuses = yield* Effect.forEach(running, (node) => cluster.status(node.index), { concurrency: "unbounded" })
    const leaders = statuses.filter((s) => s?.role === "leader").sort((a, b) => b!.term - a!.term)
    const leaderId = leaders[0]?.id
    return cluster.nodes.find((node) => node.id === leaderId)?.index
  })

const resolveTarget = (context: FaultContext, planned: PlannedFault) =>
  planned.target._tag === "node"
    ? Effect.succeed(planned.target.index)
    : Effect.map(currentLeader(context), (leader) => leader ?? 0)

const inject = (context: FaultContext, planned: PlannedFault, index: number) => {
  const { cluster } = context
  const node = cluster.nodes[index]!
  switch (planned.kind) {
    case "kill":
      return Effect.succeed({
        start: Effect.zipRight(cluster.signal(index, "SIGKILL"), cluster.awaitExit(index, "5 seconds")),
        heal: cluster.start(index)
      })
    case "pause":
      return Effect.succeed({ start: cluster.signal(index, "SIGSTOP"), heal: cluster.signal(index, "SIGCONT") })
    case "partition": {
      const firewall = context.firewall
      if (firewall === undefined) return Effect.fail(context.partitionUnavailable)
      const others = cluster.nodes.filter((other) => other.index !== index).map((other) => other.host)
      return Effect.succeed({
        start: Effect.orDie(firewall.isolate(node.host, others)),
        heal: Effect.orDie(firewall.heal)
      })
    }
  }
}

/** Waits for the planned start, injects, waits for the planned end, heals. */
export const runFault = (context: FaultContext, planned: PlannedFault): Effect.Effect<ExecutedFault> =>
  Effect.gen(function*() {
    const { recorder, cluster } = context
    const wait = (atMs: number) => Effect.flatMap(recorder.now, (now) => Effect.sleep(Duration.millis(Math.max(0, atMs - now))))
    yield* wait(planned.startMs)
    const index = yield* resolveTarget(context, planned)
    const actions = yield* Effect.either(inject(context, planned, index))
    const startMs = yield* recorder.now
    if (actions._tag === "Left") {
      return { id: planned.id, kind: planned.kind, node: null, startMs, endMs: startMs, skipped: actions.left }
    }
    yield* Effect.acquireUseRelease(actions.right.start, () => wait(planned.endMs), () => actions.right.heal)
    const endMs = yield* recorder.now
    return { id: planned.id, kind: planned.kind, node: cluster.nodes[index]!.id, startMs, endMs }
  })
