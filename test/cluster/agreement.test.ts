/**
 * Log agreement on the simulated cluster: writes through any node are applied identically
 * everywhere; a minority down does not stop progress; a minority alone commits nothing;
 * concurrent clients give a linearizable history; a lossy, duplicating, reordering network
 * delays writes but does not lose them.
 */
import { describe, it } from "@effect/vitest"
import { Duration, Effect, Either, Exit } from "effect"
import { defaultConfig } from "../../src/config/load.js"
import { makeSimCluster } from "../../src/sim/cluster.js"
import { Prng } from "../../src/sim/random.js"
import { History, runWorkload } from "../../src/sim/workload.js"
import {
  awaitAgreedLeader, awaitConverged, call, check, describeOutcome, expectLinearizable, expectNoViolations, forEachSeed,
  liveStatuses, localValue, nowMs, seedsOr, statusOf, writeUntilAcknowledged
} from "./harness.js"

const lan = { delayMinMs: 1, delayMaxMs: 5 }

describe("basic agreement", () => {
  it("writes through every node, leader or follower, are applied identically on every node", async () => {
    await forEachSeed(seedsOr([101, 102, 103, 104, 105]), (seed) => Effect.gen(function*() {
      const size = seed % 2 === 0 ? 3 : 5
      const cluster = yield* makeSimCluster({ seed, size, linkFaults: lan })
      yield* awaitAgreedLeader(cluster, 1000)
      const writes = 3 * size
      for (let i = 0; i < writes; i++) {
        const via = cluster.ids[i % size]!
        const outcome = yield* call(cluster, via, { _tag: "put", key: `k${i % 4}`, value: `v${i}`, client: "c", seq: i + 1 }, 1000)
        const expectedOld = i < 4 ? null : `v${i - 4}`
        yield* check(Either.isRight(outcome) && outcome.right._tag === "value" && outcome.right.value === expectedOld,
          `seed ${seed}: write ${i} via ${via}: ${describeOutcome(outcome)}, expected old value ${expectedOld}`)
      }
      const converged = yield* awaitConverged(cluster, 500)
      // A noop per term plus every write, nothing more, nothing less.
      yield* check(converged.value.appliedIndex >= writes + 1, `seed ${seed}: applied index ${converged.value.appliedIndex} < ${writes + 1}`)
      for (const id of cluster.ids) {
        for (let key = 0; key < 4; key++) {
          const last = writes - 1 - ((writes - 1 - key) % 4)
          const value = localValue(cluster, id, `k${key}`)
          yield* check(value === `v${last}`, `seed ${seed}: ${id} has k${key}=${value}, expected v${last}`)
        }
      }
      yield* expectNoViolations(cluster, seed)
    }))
  }, 60_000)
})

describe("agreement with one follower down", () => {
  it("the majority keeps committing; the follower catches up when it returns", async () => {
    await forEachSeed(seedsOr([111, 112, 113, 114, 115]), (seed) => Effect.gen(function*() {
      const cluster = yield* makeSimCluster({ seed, size: 3, linkFaults: lan })
      const leader = (yield* awaitAgreedLeader(cluster, 1000)).value
      yield* writeUntilAcknowledged(cluster, { _tag: "put", key: "a", value: "1", client: "c", seq: 1 }, 1000)
      const follower = cluster.ids.find((id) => id !== leader.id)!
      // Odd seeds crash the follower, even seeds cut it off: both must look the same to the rest.
      if (seed % 2 === 1) yield* cluster.crash(follower)
      else yield* cluster.network.isolate(follower)
      const live = cluster.ids.filter((id) => id !== follower)
      for (let i = 2; i <= 21; i++) {
        const via = live[i % live.length]!
        const outcome = yield* call(cluster, via, { _tag: "put", key: `k${i}`, value: `v${i}`, client: "c", seq: i }, 1000)
        yield* check(Either.isRight(outcome), `seed ${seed}: write ${i} via ${via} with ${follower} down: ${describeOutcome(outcome)}`)
      }
      yield* awaitConverged(cluster, 500, live)
      if (seed % 2 === 1) yield* cluster.restart(follower)
      else yield* cluster.network.heal
      yield* awaitConverged(cluster, 2000)
      for (let i = 2; i <= 21; i++) {
        const value = localValue(cluster, follower, `k${i}`)
        yield* check(value === `v${i}`, `seed ${seed}: returning follower has k${i}=${value}`)
      }
      yield* expectNoViolations(cluster, seed)
    }))
  }, 60_000)
})

describe("no agreement without a majority", () => {
  it("with 2 of 3 cut off nothing commits and writes fail or time out; after healing writes succeed", async () => {
    await forEachSeed(seedsOr([121, 122, 123, 124, 125]), (seed) => Effect.gen(function*() {
      const cluster = yield* makeSimCluster({ seed, size: 3, linkFaults: lan })
      const leader = (yield* awaitAgreedLeader(cluster, 1000)).value
      yield* writeUntilAcknowledged(cluster, { _tag: "put", key: "a", value: "1", client: "c", seq: 1 }, 1000)
      yield* awaitConverged(cluster, 500)
      const before = yield* liveStatuses(cluster)
      // Cut off the leader and one follower: every node is alone.
      const others = cluster.ids.filter((id) => id !== leader.id)
      yield* cluster.network.isolate(leader.id)
      yield* cluster.network.isolate(others[0]!)
      const outcomes = yield* Effect.forEach(cluster.ids, (via, i) =>
        call(cluster, via, { _tag: "put", key: `minority${i}`, value: "x", client: `m${i}`, seq: 1 }, 1500), { concurrency: "unbounded" })
      for (const [i, outcome] of outcomes.entries()) {
        yield* check(Either.isLeft(outcome), `seed ${seed}: write via ${cluster.ids[i]} succeeded without a majority`)
      }
      yield* Effect.sleep("1 second")
      for (const status of yield* liveStatuses(cluster)) {
        const old = before.find((s) => s.id === status.id)!
        yield* check(status.commitIndex === old.commitIndex && status.appliedIndex === old.appliedIndex,
          `seed ${seed}: ${status.id} committed ${old.commitIndex} -> ${status.commitIndex} without a majority`)
        yield* check(status.role !== "leader", `seed ${seed}: ${status.id} still leads alone`)
      }
      for (const id of cluster.ids) {
        for (let i = 0; i < cluster.ids.length; i++) {
          const value = localValue(cluster, id, `minority${i}`)
          yield* check(value === null, `seed ${seed}: ${id} applied minority${i}=${value}`)
        }
      }
      yield* cluster.network.heal
      const healed = yield* writeUntilAcknowledged(cluster, { _tag: "put", key: "a", value: "2", client: "c", seq: 2 }, 3000)
      yield* check(JSON.stringify(healed.result) === JSON.stringify({ _tag: "value", value: "1" }),
        `seed ${seed}: write after healing returned ${JSON.stringify(healed.result)}`)
      yield* awaitConverged(cluster, 1000)
      yield* expectNoViolations(cluster, seed)
    }))
  }, 60_000)
})

describe("a slow disk", () => {
  it("a leader's AppendEntries leave before its own fsync: a write waits for about one fsync, not two in a row", async () => {
    const syncMs = 10
    await forEachSeed(seedsOr([151, 152, 153]), (seed) => Effect.gen(function*() {
      const cluster = yield* makeSimCluster({ seed, size: 3, linkFaults: { delayMinMs: 1, delayMaxMs: 1 }, diskSyncDelay: Duration.millis(syncMs) })
      const leader = (yield* awaitAgreedLeader(cluster, 2000)).value.id
      const latenciesMs: Array<number> = []
      // Write 0 is not measured: it may queue behind the fsyncs of the new term's noop.
      for (let i = 0; i < 6; i++) {
        const startedMs = yield* nowMs
        const outcome = yield* call(cluster, leader, { _tag: "put", key: "k", value: `v${i}`, client: "c", seq: i + 1 }, 1000)
        yield* check(Either.isRight(outcome), `seed ${seed}: write ${i}: ${describeOutcome(outcome)}`)
        if (i > 0) latenciesMs.push((yield* nowMs) - startedMs)
      }
      // Overlapped: the follower's fsync plus a round trip. In a row it would be two fsyncs and more.
      yield* check(Math.max(...latenciesMs) < 2 * syncMs,
        `seed ${seed}: write latencies ${latenciesMs.join(", ")} ms with ${syncMs} ms fsyncs: the leader's and a follower's did not overlap`)
    }))
  }, 60_000)
})

describe("concurrent proposals", () => {
  /** Writes in pairs, a pair every 250 us for 10 ms; how many durable writes the leader made for them. */
  const leaderFsyncsForPairs = (seed: number, batchDelay: Duration.DurationInput) => Effect.gen(function*() {
    const base = defaultConfig()
    const config = { ...base, raft: { ...base.raft, batchDelay: Duration.decode(batchDelay) } }
    const cluster = yield* makeSimCluster({ seed, size: 3, config, linkFaults: lan })
    const leader = (yield* awaitAgreedLeader(cluster, 1000)).value.id
    const replica = cluster.replica(leader)!
    const fsyncs = () => replica.metrics.counter("troupe_fsync_batches_total")
    const before = fsyncs()
    const pairs = 40
    // Both writes of a pair reach the Raft loop in one turn, as requests read from sockets in one poll do.
    const writePair = (pair: number) => Effect.async<ReadonlyArray<Exit.Exit<unknown, unknown>>>((resume) => {
      const exits: Array<Exit.Exit<unknown, unknown>> = []
      for (const i of [2 * pair, 2 * pair + 1]) {
        const request = { _tag: "put", key: `pair${i}`, value: `v${i}`, client: `pair${i}`, seq: 1 } as const
        const settled = (exit: Exit.Exit<unknown, unknown>) => {
          exits.push(exit)
          if (exits.length === 2) resume(Effect.succeed(exits))
        }
        if (!replica.kv.executeNow(request, settled)) settled(Exit.fail("not served by the leader"))
      }
    })
    const outcomes = yield* Effect.forEach(Array.from({ length: pairs }, (_, pair) => pair), (pair) =>
      Effect.zipRight(Effect.sleep(Duration.micros(BigInt(250 * pair))), writePair(pair)), { concurrency: "unbounded" })
    const acknowledged = outcomes.flat().filter(Exit.isSuccess).length
    yield* check(acknowledged === 2 * pairs, `seed ${seed}, batchDelay ${batchDelay}: only ${acknowledged}/${2 * pairs} writes acknowledged`)
    return fsyncs() - before
  })

  it("under write load the leader lets a batch fill for raft.batchDelay: fewer fsyncs for the same writes", async () => {
    await forEachSeed(seedsOr([141, 142, 143]), (seed) => Effect.gen(function*() {
      const immediate = yield* leaderFsyncsForPairs(seed, "0 millis")
      const delayed = yield* leaderFsyncsForPairs(seed, "1 millis")
      yield* check(delayed * 2 <= immediate, `seed ${seed}: ${delayed} fsyncs with a 1 ms batch delay, ${immediate} without`)
    }))
  }, 60_000)

  it("many clients at once: every acknowledged write is present and the history is linearizable", async () => {
    await forEachSeed(seedsOr([131, 132, 133, 134]), (seed) => Effect.gen(function*() {
      const cluster = yield* makeSimCluster({ seed, size: 5, linkFaults: lan })
      yield* awaitAgreedLeader(cluster, 1000)
      // Fifty clients each write their own key through a random node, all at the same instant.
      const prng = new Prng(seed).fork("concurrent")
      const clients = 50
      const vias = Array.from({ length: clients }, () => cluster.ids[prng.nextIntBetween(0, cluster.ids.length - 1)]!)
      const outcomes = yield* Effect.forEach(vias, (via, i) =>
        call(cluster, via, { _tag: "put", key: `own${i}`, value: `w${i}`, client: `own${i}`, seq: 1 }, 2000), { concurrency: "unbounded" })
      const acknowledged = outcomes.flatMap((outcome, i) => (Either.isRight(outcome) ? [i] : []))
      yield* check(acknowledged.length === clients,
        `seed ${seed}: only ${acknowledged.length}/${clients} concurrent writes acknowledged on a healthy network`)
      // Then a mixed workload on three shared keys, checked for linearizability.
      const history = new History()
      const stopAtMs = (yield* nowMs) + 800
      yield* runWorkload(cluster, history, prng.fork("workload"), {
        clients: 4, keys: 3, callTimeout: Duration.seconds(1), maxThinkMs: 20, clientPrefix: "w"
      }, stopAtMs)
      yield* check(history.completed >= 60, `seed ${seed}: only ${history.completed} calls completed`)
      yield* expectLinearizable(history.operations, seed)
      yield* awaitConverged(cluster, 1000)
      for (const id of cluster.ids) {
        for (const i of acknowledged) {
          const value = localValue(cluster, id, `own${i}`)
          yield* check(value === `w${i}`, `seed ${seed}: ${id} lost acknowledged write own${i} (has ${value})`)
        }
      }
      yield* expectNoViolations(cluster, seed)
    }))
  }, 60_000)
})

describe("unreliable agreement", () => {
  it("with loss, duplication and reordering every write is eventually acknowledged and applied once everywhere", async () => {
    const runs = await forEachSeed(seedsOr([141, 142, 143, 144, 145]), (seed) => Effect.gen(function*() {
      const prng = new Prng(seed).fork("faults")
      const faults = {
        delayMinMs: 1, delayMaxMs: 10,
        lossProbability: 0.1 + 0.1 * prng.nextFloat(),
        duplicateProbability: 0.1, reorderProbability: 0.2, reorderExtraMaxMs: 20
      }
      const cluster = yield* makeSimCluster({ seed, size: 5, linkFaults: faults })
      yield* awaitAgreedLeader(cluster, 3000)
      const writes = 12
      let slowestMs = 0
      for (let i = 1; i <= writes; i++) {
        const done = yield* writeUntilAcknowledged(cluster, { _tag: "put", key: `k${i % 3}`, value: `v${i}`, client: "u", seq: i }, 5000, 500)
        slowestMs = Math.max(slowestMs, done.elapsedMs)
      }
      yield* cluster.network.setDefaultLinkFaults({ lossProbability: 0, duplicateProbability: 0, reorderProbability: 0 })
      yield* awaitConverged(cluster, 3000)
      for (const id of cluster.ids) {
        for (let key = 0; key < 3; key++) {
          const last = writes - ((writes - key) % 3)
          const value = localValue(cluster, id, `k${key}`)
          yield* check(value === `v${last}`, `seed ${seed}: ${id} has k${key}=${value}, expected v${last}`)
        }
        const session = cluster.replica(id)!.machine.query({ _tag: "verify", client: "u", seq: writes })
        yield* check(session._tag === "applied" && session.applied, `seed ${seed}: ${id} did not apply the last write`)
      }
      const leader = (yield* awaitAgreedLeader(cluster, 1000)).value
      const commit = (yield* statusOf(cluster, leader.id)).commitIndex
      yield* check(commit >= writes + 1, `seed ${seed}: commit index ${commit}`)
      yield* expectNoViolations(cluster, seed)
      return slowestMs
    }))
    console.log(`unreliable agreement, slowest write: ${runs.map((run) => run.value).join(", ")} ms`)
  }, 60_000)
})
