/**
 * Persistence across restarts on memory disks that lose unsynced writes (and sometimes tear the
 * last one) at a crash: a restarted follower, a whole cluster restarted at once, a cluster
 * crashed the moment a write is answered, and a crashed and restarted leader all keep every
 * acknowledged write.
 */
import { describe, it } from "@effect/vitest"
import { Effect, Either } from "effect"
import { defaultConfig } from "../../src/config/load.js"
import { makeSimCluster, type SimCluster } from "../../src/sim/cluster.js"
import {
  awaitAgreedLeader, awaitConverged, call, check, describeOutcome, expectNoViolations, forEachSeed, localValue, seedsOr,
  statusOf, writeUntilAcknowledged
} from "./harness.js"

const lan = { delayMinMs: 1, delayMaxMs: 5 }

/** Every batch's log write split into writes of at most two entries (storage.groupCommitMaxEntries). */
const tinyGroupCommits = (() => {
  const config = defaultConfig()
  return { ...config, storage: { ...config.storage, groupCommitMaxEntries: 2 } }
})()

/** Writes key `${prefix}${i}` = `${prefix}-${i}` for i in [from, to), some concurrently; all must be acknowledged. */
const writeRange = (cluster: SimCluster, prefix: string, from: number, to: number) =>
  Effect.forEach(Array.from({ length: to - from }, (_, i) => from + i), (i) =>
    writeUntilAcknowledged(cluster, { _tag: "put", key: `${prefix}${i}`, value: `${prefix}-${i}`, client: `${prefix}${i}`, seq: 1 }, 3000),
    { concurrency: 4, discard: true })

/** Every node in the cluster has applied every key of the range. */
const expectRangeEverywhere = (cluster: SimCluster, seed: number, prefix: string, from: number, to: number) =>
  Effect.gen(function*() {
    for (const id of cluster.ids) {
      for (let i = from; i < to; i++) {
        const value = localValue(cluster, id, `${prefix}${i}`)
        yield* check(value === `${prefix}-${i}`, `seed ${seed}: ${id} has ${prefix}${i}=${value} after restart`)
      }
    }
  })

describe("persistence across restarts", () => {
  it("a restarted follower keeps its log and catches up on what it missed", async () => {
    await forEachSeed(seedsOr([301, 302, 303, 304, 305]), (seed) => Effect.gen(function*() {
      const cluster = yield* makeSimCluster({ seed, size: 3, linkFaults: lan })
      const leader = (yield* awaitAgreedLeader(cluster, 1000)).value
      yield* writeRange(cluster, "a", 0, 20)
      yield* awaitConverged(cluster, 1000)
      const follower = cluster.ids.find((id) => id !== leader.id)!
      const durableLog = (yield* statusOf(cluster, follower)).lastLogIndex
      yield* cluster.crash(follower, seed % 2 === 0)
      yield* writeRange(cluster, "b", 0, 20)
      yield* cluster.restart(follower)
      // Before any message can reach it (every delay is >= 1 ms), it has replayed its own log.
      yield* Effect.sleep("1 millis")
      const replayed = (yield* statusOf(cluster, follower)).lastLogIndex
      yield* check(replayed >= durableLog, `seed ${seed}: restarted follower has ${replayed} entries, had ${durableLog} synced`)
      yield* awaitConverged(cluster, 2000)
      yield* expectRangeEverywhere(cluster, seed, "a", 0, 20)
      yield* expectRangeEverywhere(cluster, seed, "b", 0, 20)
      yield* expectNoViolations(cluster, seed)
    }))
  }, 60_000)

  it("all nodes crash (some tearing their last write) and restart: every acknowledged write is still there", async () => {
    await forEachSeed(seedsOr([311, 312, 313, 314, 315]), (seed) => Effect.gen(function*() {
      const size = seed % 2 === 0 ? 3 : 5
      // Some seeds crash in the middle of a batch written in many small writes.
      const config = seed % 5 >= 3 ? tinyGroupCommits : undefined
      const cluster = yield* makeSimCluster({ seed, size, linkFaults: lan, ...(config === undefined ? {} : { config }) })
      yield* awaitAgreedLeader(cluster, 1000)
      yield* writeRange(cluster, "a", 0, 30)
      // Writes still in flight at the crash: their outcome is unknown, so they are not checked.
      const inFlight = yield* Effect.fork(Effect.forEach([0, 1, 2, 3, 4], (i) =>
        call(cluster, cluster.ids[i % size]!, { _tag: "put", key: `late${i}`, value: "x", client: `late${i}`, seq: 1 }, 500)))
      yield* Effect.sleep("2 millis")
      for (const [i, id] of cluster.ids.entries()) yield* cluster.crash(id, i % 2 === 0)
      yield* Effect.sleep("500 millis")
      for (const id of cluster.ids) yield* cluster.restart(id)
      yield* awaitAgreedLeader(cluster, 2000)
      yield* inFlight.await
      // Reads through Raft: every acknowledged write, through every node.
      for (let i = 0; i < 30; i++) {
        const via = cluster.ids[i % size]!
        const read = yield* call(cluster, via, { _tag: "get", key: `a${i}` }, 1000)
        yield* check(Either.isRight(read) && read.right._tag === "value" && read.right.value === `a-${i}`,
          `seed ${seed}: read a${i} via ${via} after full restart: ${describeOutcome(read)}`)
      }
      yield* writeRange(cluster, "b", 0, 5)
      yield* awaitConverged(cluster, 2000)
      yield* expectRangeEverywhere(cluster, seed, "a", 0, 30)
      yield* expectNoViolations(cluster, seed)
    }))
  }, 60_000)

  it("an acknowledged write was durable: every node crashing the moment it is answered keeps it", async () => {
    // Slow disks leave a wide window between a write being made and being durable.
    await forEachSeed(seedsOr([331, 332, 333, 334]), (seed) => Effect.gen(function*() {
      const size = seed % 2 === 1 ? 1 : 3
      const cluster = yield* makeSimCluster({ seed, size, linkFaults: lan, diskSyncDelay: "20 millis" })
      for (let i = 0; i < 5; i++) {
        const leader = (yield* awaitAgreedLeader(cluster, 2000)).value
        // Writes in flight meanwhile keep the leader writing a next batch when it answers this one.
        const others = yield* Effect.fork(Effect.forEach([0, 1, 2], (j) =>
          call(cluster, leader.id, { _tag: "put", key: `other${i}-${j}`, value: "x", client: `other${i}-${j}`, seq: 1 }, 500)))
        const answer = yield* call(cluster, leader.id, { _tag: "put", key: `k${i}`, value: `v${i}`, client: `k${i}`, seq: 1 }, 1000)
        yield* check(Either.isRight(answer), `seed ${seed}: write k${i} not acknowledged: ${describeOutcome(answer)}`)
        for (const id of cluster.ids) yield* cluster.crash(id)
        yield* others.await
        for (const id of cluster.ids) yield* cluster.restart(id)
        yield* awaitAgreedLeader(cluster, 2000)
        const read = yield* call(cluster, cluster.ids[i % size]!, { _tag: "get", key: `k${i}` }, 1000)
        yield* check(Either.isRight(read) && read.right._tag === "value" && read.right.value === `v${i}`,
          `seed ${seed} (${size} nodes): acknowledged k${i} after a crash at the answer: ${describeOutcome(read)}`)
      }
      yield* expectNoViolations(cluster, seed)
    }))
  }, 60_000)

  it("a crashed leader is replaced, restarts, and rejoins with every acknowledged write", async () => {
    await forEachSeed(seedsOr([321, 322, 323, 324, 325]), (seed) => Effect.gen(function*() {
      const cluster = yield* makeSimCluster({ seed, size: 3, linkFaults: lan })
      const leader = (yield* awaitAgreedLeader(cluster, 1000)).value
      yield* writeRange(cluster, "a", 0, 20)
      yield* cluster.crash(leader.id, seed % 2 === 1)
      const others = cluster.ids.filter((id) => id !== leader.id)
      const next = (yield* awaitAgreedLeader(cluster, 1000, others)).value
      yield* check(next.id !== leader.id, `seed ${seed}: no new leader`)
      yield* writeRange(cluster, "b", 0, 20)
      yield* cluster.restart(leader.id)
      yield* writeRange(cluster, "c", 0, 5)
      yield* awaitConverged(cluster, 2000)
      yield* expectRangeEverywhere(cluster, seed, "a", 0, 20)
      yield* expectRangeEverywhere(cluster, seed, "b", 0, 20)
      yield* expectRangeEverywhere(cluster, seed, "c", 0, 5)
      yield* expectNoViolations(cluster, seed)
    }))
  }, 60_000)
})
