/**
 * Snapshot install to a lagging node: with a small snapshot threshold the leader compacts its
 * log while a follower is down, so the follower can only catch up through InstallSnapshot. It
 * must end with the leader's state (latest values), keep the snapshot across its own restart,
 * and serve from it.
 */
import { describe, it } from "@effect/vitest"
import { Effect, Either } from "effect"
import { loadConfig } from "../../src/config/load.js"
import { makeSimCluster } from "../../src/sim/cluster.js"
import { Prng } from "../../src/sim/random.js"
import {
  awaitAgreedLeader, awaitAgreedLeaderWhere, awaitConverged, call, check, describeOutcome, expectNoViolations, forEachSeed, localValue, nowMs,
  seedsOr, statusOf, writeUntilAcknowledged
} from "./harness.js"

const snapshotThresholdEntries = 50
const config = Either.getOrThrow(loadConfig({ overrides: { raft: { snapshotThresholdEntries } } }))

describe("snapshot install", () => {
  it("a follower that missed hundreds of compacted entries catches up via InstallSnapshot and serves the latest values", async () => {
    const runs = await forEachSeed(seedsOr([601, 602, 603, 604, 605]), (seed) => Effect.gen(function*() {
      const cluster = yield* makeSimCluster({ seed, size: 3, config, linkFaults: { delayMinMs: 1, delayMaxMs: 5 } })
      const leader = (yield* awaitAgreedLeader(cluster, 1000)).value
      const lagging = cluster.ids.find((id) => id !== leader.id)!
      yield* cluster.crash(lagging)
      const lagLog = 1
      // Rounds of one write per key, all keys at once: every key is overwritten every round.
      const rounds = 8
      const keys = 40
      for (let round = 0; round < rounds; round++) {
        const outcomes = yield* Effect.forEach(Array.from({ length: keys }, (_, key) => key), (key) =>
          call(cluster, leader.id, { _tag: "put", key: `k${key}`, value: `v${round}-${key}`, client: `c${key}`, seq: round + 1 }, 1000),
          { concurrency: "unbounded" })
        for (const outcome of outcomes) yield* check(Either.isRight(outcome), `seed ${seed}: round ${round}: ${describeOutcome(outcome)}`)
      }
      const leaderStatus = yield* statusOf(cluster, leader.id)
      yield* check(leaderStatus.snapshotIndex > lagLog + snapshotThresholdEntries,
        `seed ${seed}: leader snapshot index ${leaderStatus.snapshotIndex}: its log was not compacted past the lagging node`)
      const restartedAtMs = yield* nowMs
      yield* cluster.restart(lagging)
      yield* awaitConverged(cluster, 2000)
      const trace = yield* cluster.network.trace
      const installs = trace.filter((line) =>
        Number(line.slice(0, line.indexOf(" "))) >= restartedAtMs && line.includes(`>${lagging} InstallSnapshot delivered`)).length
      yield* check(installs > 0, `seed ${seed}: ${lagging} caught up without any InstallSnapshot`)
      const caughtUp = yield* statusOf(cluster, lagging)
      yield* check(caughtUp.snapshotIndex > 0, `seed ${seed}: ${lagging} snapshot index ${caughtUp.snapshotIndex}`)
      for (let key = 0; key < keys; key++) {
        const latest = `v${rounds - 1}-${key}`
        const value = localValue(cluster, lagging, `k${key}`)
        yield* check(value === latest, `seed ${seed}: ${lagging} has k${key}=${value}, expected ${latest}`)
      }
      // The installed snapshot is durable: after another crash the node boots from it.
      yield* cluster.crash(lagging)
      yield* cluster.restart(lagging)
      yield* Effect.sleep("1 millis")
      const rebooted = yield* statusOf(cluster, lagging)
      yield* check(rebooted.snapshotIndex >= caughtUp.snapshotIndex,
        `seed ${seed}: after a restart ${lagging} has snapshot index ${rebooted.snapshotIndex} < ${caughtUp.snapshotIndex}`)
      // And it serves as leader from that state.
      yield* cluster.replica(leader.id)!.raft.transferLeadership(lagging)
      // Until the transfer completes every node still agrees on the old leader: wait for the new one.
      yield* awaitAgreedLeaderWhere(cluster, `${lagging} leading after the transfer`, (leader) => leader.id === lagging, 1000)
      const read = yield* call(cluster, lagging, { _tag: "get", key: "k0" }, 1000)
      yield* check(Either.isRight(read) && read.right._tag === "value" && read.right.value === `v${rounds - 1}-0`,
        `seed ${seed}: read of k0 from the new leader: ${describeOutcome(read)}`)
      yield* expectNoViolations(cluster, seed)
      return { installs, snapshotIndex: caughtUp.snapshotIndex }
    }))
    console.log(`snapshot install: ${runs.map((run) => `${run.value.installs} chunks, snapshot at ${run.value.snapshotIndex}`).join("; ")}`)
  }, 60_000)

  it("a chunked snapshot over a lossy, duplicating, reordering network survives the receiver crashing mid-install", async () => {
    // Small appends split the snapshot into many chunks; the lagging node is crashed (sometimes
    // tearing its last write) while chunks are in flight, and must still end with the latest state.
    const chunked = Either.getOrThrow(loadConfig({ overrides: { raft: { snapshotThresholdEntries: 30, maxBytesPerAppend: 400 } } }))
    await forEachSeed(seedsOr([611, 612, 613]), (seed) => Effect.gen(function*() {
      const prng = new Prng(seed).fork("snapshot")
      const cluster = yield* makeSimCluster({
        seed, size: 3, config: chunked,
        linkFaults: { delayMinMs: 1, delayMaxMs: 10, lossProbability: 0.15, duplicateProbability: 0.1, reorderProbability: 0.2, reorderExtraMaxMs: 20 }
      })
      const leader = (yield* awaitAgreedLeader(cluster, 3000)).value
      const lagging = cluster.ids.find((id) => id !== leader.id)!
      yield* cluster.crash(lagging)
      const rounds = 6
      const keys = 30
      for (let round = 0; round < rounds; round++) {
        yield* Effect.forEach(Array.from({ length: keys }, (_, key) => key), (key) =>
          writeUntilAcknowledged(cluster, { _tag: "put", key: `k${key}`, value: `v${round}-${key}`, client: `c${key}`, seq: round + 1 }, 10_000, 500),
          { concurrency: "unbounded", discard: true })
      }
      yield* cluster.restart(lagging)
      for (let crash = 0; crash < 3; crash++) {
        yield* Effect.sleep(`${prng.nextIntBetween(5, 80)} millis`)
        yield* cluster.crash(lagging, prng.chance(0.5))
        yield* Effect.sleep("20 millis")
        yield* cluster.restart(lagging)
      }
      yield* cluster.network.setDefaultLinkFaults({ lossProbability: 0, duplicateProbability: 0, reorderProbability: 0 })
      yield* awaitConverged(cluster, 5000)
      const status = yield* statusOf(cluster, lagging)
      yield* check(status.snapshotIndex > 0, `seed ${seed}: ${lagging} has no snapshot`)
      for (let key = 0; key < keys; key++) {
        const value = localValue(cluster, lagging, `k${key}`)
        yield* check(value === `v${rounds - 1}-${key}`, `seed ${seed}: ${lagging} has k${key}=${value}, expected v${rounds - 1}-${key}`)
      }
      yield* expectNoViolations(cluster, seed)
    }))
  }, 60_000)
})
