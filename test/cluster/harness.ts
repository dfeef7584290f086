/**
 * Helpers for the whole-cluster tests: run one scenario per seed in virtual time (see
 * src/sim/run-virtual.ts) and report every failing seed with its cause, plus the polling waits
 * and client calls the scenarios share. Every wait is bounded by a virtual-time deadline and
 * fails with a message naming what it waited for, so a stuck run never hangs a test.
 *
 * Replay one seed: TROUPE_CLUSTER_SEEDS=17 npx vitest run test/cluster/<file>
 */
import { Cause, Clock, Duration, Effect, Either, Exit, type Scope } from "effect"
import { expect } from "@effect/vitest"
import type { KvRequest, KvResult } from "../../actors/kv/commands.js"
import { checkHistory } from "../../src/check/checker.js"
import type { Operation } from "../../src/check/history.js"
import { formatWitness } from "../../src/check/report.js"
import type { NodeId } from "../../src/config/servers.js"
import type { KvFailure } from "../../src/node/kv-service.js"
import type { RaftStatus } from "../../src/roles/raft-role.js"
import type { SimCluster } from "../../src/sim/cluster.js"
import { runVirtual } from "../../src/sim/run-virtual.js"

/** Seeds from TROUPE_CLUSTER_SEEDS (comma-separated) when set, else the test's own list. */
export const seedsOr = (defaults: ReadonlyArray<number>): ReadonlyArray<number> => {
  const fromEnv = process.env.TROUPE_CLUSTER_SEEDS
  if (fromEnv === undefined || fromEnv.trim() === "") return defaults
  return fromEnv.split(",").map((text) => Number(text.trim())).filter((seed) => Number.isInteger(seed))
}

/** Thrown inside a scenario: the message reaches the report with the seed. */
export class ScenarioFailed extends Error {}

export const check = (condition: boolean, message: string): Effect.Effect<void> =>
  condition ? Effect.void : Effect.die(new ScenarioFailed(message))

export interface SeedRun<A> {
  readonly seed: number
  readonly virtualMs: number
  readonly value: A
}

/**
 * Runs `scenario` once per seed in virtual time, one after another; fails the test listing every failing seed and
 * its cause. Returns the successful runs (for measurements).
 */
export const forEachSeed = async <A, E>(
  seeds: ReadonlyArray<number>,
  scenario: (seed: number) => Effect.Effect<A, E, Scope.Scope>,
  options: { readonly maxTimeMs?: number } = {}
): Promise<ReadonlyArray<SeedRun<A>>> => {
  const failures: Array<string> = []
  const runs: Array<SeedRun<A>> = []
  const cpuBefore = process.cpuUsage()
  let virtualTotalMs = 0
  for (const seed of seeds) {
    const { exit, virtualMs } = runVirtual(Effect.scoped(scenario(seed)), { seed, maxTimeMs: options.maxTimeMs ?? 120_000 })
    virtualTotalMs += virtualMs
    // A run is synchronous: let the worker's event loop (vitest's RPC) breathe between seeds.
    await new Promise((resolve) => setImmediate(resolve))
    if (Exit.isSuccess(exit)) runs.push({ seed, virtualMs, value: exit.value })
    else failures.push(`seed ${seed} (at ${virtualMs} ms virtual): ${Cause.pretty(exit.cause).split("\n").slice(0, 12).join("\n")}`)
  }
  const cpu = process.cpuUsage(cpuBefore)
  console.log(`[${expect.getState().currentTestName}] seeds ${seeds.join(",")}: ${virtualTotalMs} ms virtual, ` +
    `${Math.round((cpu.user + cpu.system) / 1000)} ms cpu`)
  expect(failures, failures.join("\n\n")).toEqual([])
  return runs
}

export const nowMs = Clock.currentTimeMillis

/** Status of every node that is up. */
export const liveStatuses = (cluster: SimCluster): Effect.Effect<ReadonlyArray<RaftStatus>> =>
  Effect.gen(function*() {
    const statuses: Array<RaftStatus> = []
    for (const id of cluster.ids) {
      const replica = cluster.replica(id)
      if (replica !== undefined) statuses.push(yield* replica.raft.status)
    }
    return statuses
  })

export const statusOf = (cluster: SimCluster, id: NodeId): Effect.Effect<RaftStatus> => {
  const replica = cluster.replica(id)
  return replica === undefined ? Effect.die(new ScenarioFailed(`${id} is down`)) : replica.raft.status
}

/** Polls `probe` every `every` until it returns a value, or fails after `withinMs` virtual ms. */
export const awaitValue = <A>(
  what: string,
  probe: Effect.Effect<A | undefined>,
  withinMs: number,
  every: Duration.DurationInput = "5 millis"
): Effect.Effect<{ readonly value: A; readonly elapsedMs: number }> =>
  Effect.gen(function*() {
    const start = yield* nowMs
    for (;;) {
      const value = yield* probe
      const now = yield* nowMs
      if (value !== undefined) return { value, elapsedMs: now - start }
      if (now - start >= withinMs) return yield* Effect.die(new ScenarioFailed(`${what}: not within ${withinMs} ms`))
      yield* Effect.sleep(every)
    }
  })

export interface LeaderView {
  readonly id: NodeId
  readonly term: number
}

/**
 * A leader that every node in `among` (default: all live nodes) follows in the same term:
 * a settled election, not just some node that believes it leads.
 */
export const agreedLeader = (cluster: SimCluster, among?: ReadonlyArray<NodeId>): Effect.Effect<LeaderView | undefined> =>
  Effect.gen(function*() {
    const ids = (among ?? cluster.ids).filter((id) => cluster.isUp(id))
    if (ids.length === 0) return undefined
    const statuses = yield* Effect.forEach(ids, (id) => statusOf(cluster, id))
    const first = statuses[0]!
    if (first.leader === null) return undefined
    const agreed = statuses.every((status) => status.leader === first.leader && status.term === first.term)
    const leaderStatus = statuses.find((status) => status.id === first.leader)
    if (!agreed || leaderStatus === undefined || leaderStatus.role !== "leader") return undefined
    return { id: first.leader, term: first.term }
  })

export const awaitAgreedLeader = (cluster: SimCluster, withinMs: number, among?: ReadonlyArray<NodeId>) =>
  awaitValue(`a leader agreed by ${among === undefined ? "all live nodes" : among.join(",")}`, agreedLeader(cluster, among), withinMs)

/** Waits for an agreed leader that `accept` takes (a new one, a transfer's target...). */
export const awaitAgreedLeaderWhere = (
  cluster: SimCluster,
  what: string,
  accept: (leader: LeaderView) => boolean,
  withinMs: number,
  options: { readonly among?: ReadonlyArray<NodeId>; readonly every?: Duration.DurationInput } = {}
) =>
  awaitValue(what, Effect.map(agreedLeader(cluster, options.among), (leader) => leader !== undefined && accept(leader) ? leader : undefined),
    withinMs, options.every)

export type CallOutcome = Either.Either<KvResult, KvFailure | "timeout">

/** One KV call through `via`, given up after `timeoutMs` (the outcome is then unknown). */
export const call = (cluster: SimCluster, via: NodeId, request: KvRequest, timeoutMs: number): Effect.Effect<CallOutcome> => {
  const replica = cluster.replica(via)
  if (replica === undefined) return Effect.succeed(Either.left("timeout" as const))
  return replica.kv.execute(request).pipe(
    Effect.timeoutFail({ duration: Duration.millis(timeoutMs), onTimeout: () => "timeout" as const }),
    Effect.either
  )
}

export const describeOutcome = (outcome: CallOutcome): string =>
  Either.isRight(outcome) ? JSON.stringify(outcome.right) : outcome.left === "timeout" ? "timeout" : outcome.left._tag

/**
 * A write retried (same client and seq: exactly-once) through the live nodes in turn until it
 * is acknowledged, for at most `withinMs`. Returns the result and the time it took.
 */
export const writeUntilAcknowledged = (
  cluster: SimCluster,
  request: Extract<KvRequest, { _tag: "put" | "del" | "cas" }>,
  withinMs: number,
  callTimeoutMs = 1000
): Effect.Effect<{ readonly result: KvResult; readonly elapsedMs: number }> =>
  Effect.gen(function*() {
    const start = yield* nowMs
    let attempt = 0
    let last = "no attempt"
    while ((yield* nowMs) - start < withinMs) {
      const live = cluster.ids.filter((id) => cluster.isUp(id))
      const via = live[attempt++ % Math.max(1, live.length)]
      if (via !== undefined) {
        const outcome = yield* call(cluster, via, request, callTimeoutMs)
        if (Either.isRight(outcome) && outcome.right._tag !== "refused") {
          return { result: outcome.right, elapsedMs: (yield* nowMs) - start }
        }
        last = `${via}: ${describeOutcome(outcome)}`
      }
      yield* Effect.sleep("20 millis")
    }
    return yield* Effect.die(new ScenarioFailed(`write ${JSON.stringify(request)} not acknowledged within ${withinMs} ms (last: ${last})`))
  })

/** The value of `key` in a node's own state machine (no Raft round: what it has applied). */
export const localValue = (cluster: SimCluster, id: NodeId, key: string): string | null | undefined => {
  const replica = cluster.replica(id)
  if (replica === undefined) return undefined
  const result = replica.machine.query({ _tag: "get", key })
  return result._tag === "value" ? result.value : undefined
}

/**
 * Waits until every node in `ids` (default: all; each must be up) has applied the same index
 * as the agreed leader's commit index and holds an identical state machine. Returns the time
 * it took and the common applied index.
 */
export const awaitConverged = (cluster: SimCluster, withinMs: number, ids?: ReadonlyArray<NodeId>) =>
  awaitValue(`convergence of ${(ids ?? cluster.ids).length} nodes`, Effect.gen(function*() {
    const members = ids ?? cluster.ids
    if (!members.every((id) => cluster.isUp(id))) return undefined
    const leader = yield* agreedLeader(cluster, members)
    if (leader === undefined) return undefined
    const statuses = yield* Effect.forEach(members, (id) => statusOf(cluster, id))
    const commit = statuses.find((status) => status.id === leader.id)!.commitIndex
    if (!statuses.every((status) => status.appliedIndex === commit && status.lastLogIndex === statuses[0]!.lastLogIndex)) {
      return undefined
    }
    const snapshots = members.map((id) => cluster.replica(id)!.machine.snapshot())
    return snapshots.every((snapshot) => snapshot === snapshots[0]) ? { appliedIndex: commit } : undefined
  }), withinMs, "10 millis")

export const expectNoViolations = (cluster: SimCluster, seed: number): Effect.Effect<void> =>
  check(
    cluster.monitor.violations.length === 0,
    `seed ${seed}: safety violations: ${cluster.monitor.violations.map((v) => `${v.atMs}ms ${v.invariant}: ${v.detail}`).join("; ")}`
  )

export const expectLinearizable = (operations: ReadonlyArray<Operation>, seed: number): Effect.Effect<void> => {
  const result = checkHistory(operations)
  const witness = result.witness === undefined ? "" : `\n${formatWitness(result.witness)}`
  return check(result.verdict === "yes", `seed ${seed}: history of ${operations.length} operations is linearizable: ${result.verdict}${witness}`)
}

/** Milliseconds of a Duration from the config, for bounds computed in tests. */
export const ms = (duration: Duration.Duration): number => Duration.toMillis(duration)
