/**
 * A leader cut off from the majority keeps accepting proposals it can never commit. When it
 * rejoins, its divergent entries are discarded in favour of the new leader's log, and (fast
 * backtracking) the new leader finds the point of divergence in about one round trip per
 * divergent term, not one per entry.
 */
import { describe, it } from "@effect/vitest"
import { Effect, Either, Fiber } from "effect"
import type { NodeId } from "../../src/config/servers.js"
import { makeSimCluster, type SimCluster } from "../../src/sim/cluster.js"
import {
  awaitAgreedLeader, awaitConverged, call, check, describeOutcome, expectNoViolations, forEachSeed, localValue, ms, nowMs,
  seedsOr, statusOf
} from "./harness.js"

const lan = { delayMinMs: 1, delayMaxMs: 5 }

/** `count` writes proposed at once through `via`, forked: each gives up after `timeoutMs`. */
const forkWrites = (cluster: SimCluster, via: NodeId, prefix: string, count: number, timeoutMs: number) =>
  Effect.fork(Effect.forEach(Array.from({ length: count }, (_, i) => i), (i) =>
    call(cluster, via, { _tag: "put", key: `${prefix}${i}`, value: `${prefix}-v${i}`, client: `${prefix}${i}`, seq: 1 }, timeoutMs),
    { concurrency: "unbounded" }))

/** Isolates the leader and has it accept `lostWrites` proposals before check-quorum deposes it. */
const isolateLeaderWithProposals = (cluster: SimCluster, seed: number, lostWrites: number) => Effect.gen(function*() {
  const old = (yield* awaitAgreedLeader(cluster, 1000)).value
  yield* cluster.network.isolate(old.id)
  const lost = yield* forkWrites(cluster, old.id, "lost", lostWrites, 5000)
  yield* Effect.sleep("20 millis")
  const oldStatus = yield* statusOf(cluster, old.id)
  yield* check(oldStatus.lastLogIndex - oldStatus.commitIndex >= lostWrites,
    `seed ${seed}: isolated leader holds only ${oldStatus.lastLogIndex - oldStatus.commitIndex} uncommitted entries`)
  return { old, lost }
})

describe("rejoin of a partitioned leader", () => {
  it("its uncommitted entries are discarded and none of their writes is acknowledged", async () => {
    await forEachSeed(seedsOr([201, 202, 203, 204, 205]), (seed) => Effect.gen(function*() {
      const cluster = yield* makeSimCluster({ seed, size: seed % 2 === 0 ? 3 : 5, linkFaults: lan })
      const { lost, old } = yield* isolateLeaderWithProposals(cluster, seed, 5)
      const others = cluster.ids.filter((id) => id !== old.id)
      const fresh = yield* awaitAgreedLeader(cluster, 1000, others)
      const kept = yield* Effect.forEach([0, 1, 2, 3, 4, 5, 6, 7], (i) =>
        call(cluster, others[i % others.length]!, { _tag: "put", key: `lost${i}`, value: `kept${i}`, client: `k${i}`, seq: 1 }, 1000))
      for (const outcome of kept) yield* check(Either.isRight(outcome), `seed ${seed}: majority write failed: ${describeOutcome(outcome)}`)
      yield* cluster.network.heal
      yield* awaitConverged(cluster, 1000)
      const leader = (yield* awaitAgreedLeader(cluster, 100)).value
      yield* check(leader.id === fresh.value.id, `seed ${seed}: leader ${leader.id} after healing, expected ${fresh.value.id}`)
      for (const id of cluster.ids) {
        for (let i = 0; i < 8; i++) {
          const value = localValue(cluster, id, `lost${i}`)
          yield* check(value === `kept${i}`, `seed ${seed}: ${id} has lost${i}=${value}: the old leader's entry survived`)
        }
      }
      const outcomes = yield* Fiber.join(lost)
      for (const outcome of outcomes) {
        yield* check(Either.isLeft(outcome), `seed ${seed}: a write to the cut-off leader was acknowledged: ${describeOutcome(outcome)}`)
      }
      yield* expectNoViolations(cluster, seed)
    }))
  }, 60_000)
})

describe("reads and proposals on a deposed leader", () => {
  it("a cut-off leader never serves a stale read once the majority has moved on", async () => {
    await forEachSeed(seedsOr([221, 222, 223, 224]), (seed) => Effect.gen(function*() {
      const cluster = yield* makeSimCluster({ seed, size: 3, linkFaults: lan })
      const old = (yield* awaitAgreedLeader(cluster, 1000)).value
      const written = yield* call(cluster, old.id, { _tag: "put", key: "k", value: "old", client: "c", seq: 1 }, 1000)
      yield* check(Either.isRight(written), `seed ${seed}: first write: ${describeOutcome(written)}`)
      yield* cluster.network.isolate(old.id)
      // Reads through the cut-off leader every 20 ms, until well after the majority's write.
      const reads = yield* Effect.fork(Effect.forEach(Array.from({ length: 60 }, (_, i) => i), (i) =>
        Effect.gen(function*() {
          yield* Effect.sleep(`${20 * i} millis`)
          const calledAtMs = yield* nowMs
          return { calledAtMs, outcome: yield* call(cluster, old.id, { _tag: "get", key: "k" }, 1000) }
        }), { concurrency: "unbounded" }))
      const others = cluster.ids.filter((id) => id !== old.id)
      yield* awaitAgreedLeader(cluster, 1000, others)
      const overwritten = yield* call(cluster, others[0]!, { _tag: "put", key: "k", value: "new", client: "c", seq: 2 }, 1000)
      yield* check(Either.isRight(overwritten), `seed ${seed}: majority write: ${describeOutcome(overwritten)}`)
      const overwrittenAtMs = yield* nowMs
      for (const read of yield* Fiber.join(reads)) {
        if (read.calledAtMs <= overwrittenAtMs || Either.isLeft(read.outcome)) continue
        yield* check(read.outcome.right._tag === "value" && read.outcome.right.value === "new",
          `seed ${seed}: read at ${read.calledAtMs} ms, after the write of "new" completed at ${overwrittenAtMs} ms, ` +
            `returned ${describeOutcome(read.outcome)}`)
      }
      yield* expectNoViolations(cluster, seed)
    }))
  }, 60_000)

  // Regression: a deposed leader used to leave these proposals unanswered until its log grew
  // back past their indices.
  it("a deposed leader answers every proposal whose entry was discarded within raft.proposalTimeout", async () => {
    await forEachSeed(seedsOr([231, 232, 233]), (seed) => Effect.gen(function*() {
      const cluster = yield* makeSimCluster({ seed, size: 3, linkFaults: lan })
      const waitMs = ms(cluster.config.raft.proposalTimeout) + 1000
      const old = (yield* awaitAgreedLeader(cluster, 1000)).value
      yield* cluster.network.isolate(old.id)
      const lost = yield* forkWrites(cluster, old.id, "lost", 5, waitMs)
      const others = cluster.ids.filter((id) => id !== old.id)
      yield* awaitAgreedLeader(cluster, 1000, others)
      yield* cluster.network.heal
      yield* awaitConverged(cluster, 1000)
      const outcomes = yield* Fiber.join(lost)
      for (const [i, outcome] of outcomes.entries()) {
        yield* check(Either.isLeft(outcome) && outcome.left !== "timeout",
          `seed ${seed}: proposal lost${i} to the deposed leader: ${describeOutcome(outcome)} after ${waitMs} ms`)
      }
    }))
  }, 60_000)
})

describe("fast backtracking over a long divergent log", () => {
  it("hundreds of divergent entries are replaced in about one round trip per divergent term", async () => {
    const runs = await forEachSeed(seedsOr([211, 212, 213, 214]), (seed) => Effect.gen(function*() {
      const cluster = yield* makeSimCluster({ seed, size: 5, linkFaults: lan })
      const raft = cluster.config.raft
      const { old } = yield* isolateLeaderWithProposals(cluster, seed, 300)
      const others = cluster.ids.filter((id) => id !== old.id)
      // The majority goes through several terms, each committing its own entries.
      for (let term = 0; term < 3; term++) {
        const leader = (yield* awaitAgreedLeader(cluster, 1000, others)).value
        const writes = yield* Effect.forEach(Array.from({ length: 100 }, (_, i) => i), (i) =>
          call(cluster, leader.id, { _tag: "put", key: `t${term}k${i}`, value: "x", client: `t${term}c${i}`, seq: 1 }, 1000),
          { concurrency: "unbounded" })
        yield* check(writes.every(Either.isRight), `seed ${seed}: majority writes failed in round ${term}`)
        yield* cluster.replica(leader.id)!.raft.transferLeadership()
        yield* Effect.sleep("50 millis")
      }
      const leader = (yield* awaitAgreedLeader(cluster, 1000, others)).value
      const leaderLog = (yield* statusOf(cluster, leader.id)).lastLogIndex
      const oldLog = (yield* statusOf(cluster, old.id)).lastLogIndex
      const healedAtMs = yield* nowMs
      yield* cluster.network.heal
      const converged = yield* awaitConverged(cluster, 2000)
      // Appends from the leader to the old one between healing and convergence: heartbeats
      // (one per heartbeat period), a probe per divergent term, and the batches that refill it.
      const trace = yield* cluster.network.trace
      const appends = trace.filter((line) => {
        const atMs = Number(line.slice(0, line.indexOf(" ")))
        return atMs >= healedAtMs && atMs <= healedAtMs + converged.elapsedMs &&
          line.includes(` ${leader.id}>${old.id} AppendEntries delivered`)
      }).length
      const entriesPerAppend = raft.maxEntriesPerAppend
      const refillAppends = Math.ceil(leaderLog / entriesPerAppend)
      const boundAppends = 2 + 2 + refillAppends + Math.ceil(converged.elapsedMs / ms(raft.heartbeatEvery))
      yield* check(appends <= boundAppends,
        `seed ${seed}: ${appends} appends to converge (bound ${boundAppends}): backtracking is not per term`)
      const boundMs = ms(raft.heartbeatEvery) + 6 * 2 * lan.delayMaxMs
      yield* check(converged.elapsedMs <= boundMs, `seed ${seed}: converging took ${converged.elapsedMs} ms > ${boundMs} ms`)
      yield* expectNoViolations(cluster, seed)
      return { ms: converged.elapsedMs, appends, divergent: oldLog, leaderLog }
    }))
    console.log(`fast backtracking: ${runs.map((run) => `${run.value.ms} ms/${run.value.appends} appends (old log ${run.value.divergent}, leader log ${run.value.leaderLog})`).join("; ")}`)
  }, 60_000)
})
