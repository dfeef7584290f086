/**
 * One seeded simulation run ("swarm testing": every seed draws its own cluster size, link faults
 * and fault schedule). A chaos phase runs clients while a nemesis partitions, cuts, bridges,
 * crashes (tearing unsynced writes), restarts and pauses nodes; then everything heals and every
 * client must complete again within a bound (liveness). Safety is checked throughout (election
 * and state machine safety) and at the end (linearizable history).
 */
import { Clock, Duration, Effect, Exit, Random } from "effect"
import { checkHistory } from "../check/checker.js"
import type { Operation } from "../check/history.js"
import { formatWitness } from "../check/report.js"
import { defaultConfig } from "../config/load.js"
import { makeSimCluster, type SimCluster } from "./cluster.js"
import { Prng } from "./random.js"
import { VirtualTime } from "./virtual-time.js"
import { History, runWorkload } from "./workload.js"

export interface SwarmParameters {
  readonly size: number
  readonly delayMaxMs: number
  readonly lossProbability: number
  readonly duplicateProbability: number
  readonly reorderProbability: number
  readonly faultEveryMs: number
  readonly chaosMs: number
  readonly clients: number
  /** Every disk's time per sync: a crash can then land while a leader's own fsync is under way. */
  readonly diskSyncDelayMs: number
}

export const drawParameters = (prng: Prng): SwarmParameters => ({
  size: prng.nextIntBetween(1, 5),
  delayMaxMs: prng.nextIntBetween(1, 30),
  lossProbability: prng.chance(0.5) ? prng.nextFloat() * 0.2 : 0,
  duplicateProbability: prng.chance(0.3) ? prng.nextFloat() * 0.1 : 0,
  reorderProbability: prng.chance(0.3) ? prng.nextFloat() * 0.2 : 0,
  faultEveryMs: prng.nextIntBetween(200, 1500),
  chaosMs: prng.nextIntBetween(2000, 4000),
  clients: prng.nextIntBetween(2, 5),
  diskSyncDelayMs: prng.chance(0.5) ? prng.nextIntBetween(1, 10) : 0
})

export interface SwarmResult {
  readonly seed: number
  readonly parameters: SwarmParameters
  readonly ok: boolean
  readonly problems: ReadonlyArray<string>
  readonly faults: ReadonlyArray<string>
  readonly operations: number
  readonly completed: number
  readonly terms: number
  readonly virtualMs: number
  /** Every recorded operation, in the checker's format (write it out to replay the check). */
  readonly history: ReadonlyArray<Operation>
  /** Digest of every network event of the run: equal digests mean identical runs. */
  readonly traceDigest: string
}

/** After healing, every client must complete a call within this much virtual time. */
const LIVENESS_MS = 4000

const pick = <A>(prng: Prng, items: ReadonlyArray<A>): A => items[prng.nextIntBetween(0, items.length - 1)]!

/** One random fault; returns its description for the report. */
const injectFault = (cluster: SimCluster, prng: Prng) => Effect.gen(function*() {
  const ids = cluster.ids
  const node = pick(prng, ids)
  const roll = prng.nextIntBetween(0, 7)
  const shuffled = [...ids].sort(() => prng.nextFloat() - 0.5)
  const half = Math.ceil(ids.length / 2)
  switch (roll) {
    case 0:
      yield* cluster.network.partition([shuffled.slice(0, half), shuffled.slice(half)])
      return `partition ${shuffled.slice(0, half).join(",")} | ${shuffled.slice(half).join(",")}`
    case 1:
      yield* cluster.network.isolate(node)
      return `isolate ${node}`
    case 2: {
      const other = pick(prng, ids)
      if (other !== node) yield* cluster.network.cut(node, other)
      return `cut ${node} -> ${other}`
    }
    case 3:
      if (ids.length >= 3) {
        yield* cluster.network.bridge(shuffled.slice(1, half), shuffled.slice(half), shuffled[0]!)
        return `bridge via ${shuffled[0]}`
      }
      return "none"
    case 4: {
      const torn = prng.chance(0.5)
      yield* cluster.crash(node, torn)
      return `crash ${node}${torn ? " (torn write)" : ""}`
    }
    case 5: {
      const down = ids.filter((id) => !cluster.isUp(id))
      if (down.length === 0) return "none"
      const target = pick(prng, down)
      yield* cluster.restart(target)
      return `restart ${target}`
    }
    case 6: {
      const replica = cluster.replica(node)
      if (replica === undefined) return "none"
      const pauseMs = prng.nextIntBetween(100, 1000)
      yield* replica.raft.suspend(Duration.millis(pauseMs))
      return `pause ${node} ${pauseMs}ms`
    }
    default:
      yield* cluster.network.heal
      return "heal"
  }
})

const healAll = (cluster: SimCluster) => Effect.gen(function*() {
  yield* cluster.network.heal
  for (const id of cluster.ids) yield* cluster.restart(id)
})

const scenario = (seed: number, parameters: SwarmParameters) => Effect.scoped(Effect.gen(function*() {
  const prng = new Prng(seed).fork("swarm")
  const cluster = yield* makeSimCluster({
    seed,
    size: parameters.size,
    config: defaultConfig(),
    diskSyncDelay: Duration.millis(parameters.diskSyncDelayMs),
    linkFaults: {
      delayMinMs: 1,
      delayMaxMs: parameters.delayMaxMs,
      lossProbability: parameters.lossProbability,
      duplicateProbability: parameters.duplicateProbability,
      reorderProbability: parameters.reorderProbability
    }
  })
  const history = new History()
  const faults: Array<string> = []
  const workloadOptions = { clients: parameters.clients, keys: 3, callTimeout: Duration.seconds(2), maxThinkMs: 50, clientPrefix: "c" }
  const chaosEnd = (yield* Clock.currentTimeMillis) + parameters.chaosMs
  const nemesis = Effect.gen(function*() {
    while ((yield* Clock.currentTimeMillis) + parameters.faultEveryMs < chaosEnd) {
      yield* Effect.sleep(Duration.millis(parameters.faultEveryMs))
      const fault = yield* injectFault(cluster, prng.fork(`fault${faults.length}`))
      faults.push(`${yield* Clock.currentTimeMillis}ms ${fault}`)
    }
  })
  yield* Effect.all([runWorkload(cluster, history, prng.fork("workload"), workloadOptions, chaosEnd), nemesis], {
    concurrency: "unbounded", discard: true
  })
  // Liveness: after healing, a fresh round of every client must complete its calls.
  yield* healAll(cluster)
  faults.push(`${yield* Clock.currentTimeMillis}ms heal all`)
  const liveness = new History()
  const livenessEnd = (yield* Clock.currentTimeMillis) + LIVENESS_MS
  yield* Effect.sleep("1 second") // an election after the last restart
  yield* runWorkload(cluster, liveness, prng.fork("liveness"), { ...workloadOptions, maxThinkMs: 10, clientPrefix: "l" }, livenessEnd)
  return { cluster, history, liveness, faults, traceDigest: yield* cluster.network.traceDigest }
}))

/** Runs one seed to completion in virtual time and checks every invariant. */
export const runSwarmSeed = (seed: number, override?: Partial<SwarmParameters>): SwarmResult => {
  const parameters = { ...drawParameters(new Prng(seed).fork("parameters")), ...override }
  const time = new VirtualTime()
  const exit = time.run(scenario(seed, parameters), Random.make(seed), { maxTimeMs: 120_000, maxTasks: 200_000_000 })
  const problems: Array<string> = []
  if (Exit.isFailure(exit)) {
    return { seed, parameters, ok: false, problems: [`run failed: ${String(exit.cause)}`], faults: [], operations: 0, completed: 0, terms: 0, virtualMs: time.now, history: [], traceDigest: "" }
  }
  const { cluster, faults, history, liveness, traceDigest } = exit.value
  for (const violation of cluster.monitor.violations) problems.push(`${violation.atMs}ms ${violation.invariant}: ${violation.detail}`)
  const all = [...history.operations, ...liveness.operations]
  const check = checkHistory(all)
  if (check.verdict === "no") {
    problems.push(`linearizable: NO (${check.staleReads} stale reads)`)
    if (check.witness !== undefined) problems.push(formatWitness(check.witness))
  } else if (check.verdict === "unknown") {
    problems.push("linearizable: unknown (search budget exceeded)")
  }
  const stuck = Array.from({ length: parameters.clients }, (_, i) => `l${i}`).filter((client) => !liveness.completedBy.has(client))
  if (stuck.length > 0) problems.push(`liveness: ${stuck.join(", ")} completed no call in the ${LIVENESS_MS} ms after healing`)
  return {
    seed, parameters, ok: problems.length === 0, problems, faults,
    operations: all.length, completed: history.completed + liveness.completed,
    terms: cluster.monitor.terms, virtualMs: time.now, history: all, traceDigest
  }
}

export const describeParameters = (p: SwarmParameters): string =>
  `n=${p.size} delay<=${p.delayMaxMs}ms loss=${p.lossProbability.toFixed(2)} dup=${p.duplicateProbability.toFixed(2)} ` +
  `reorder=${p.reorderProbability.toFixed(2)} fault/${p.faultEveryMs}ms chaos=${p.chaosMs}ms clients=${p.clients} fsync=${p.diskSyncDelayMs}ms`

