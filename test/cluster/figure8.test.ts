/**
 * Raft paper Figure 8 (the 6.824 "Figure8" tests): leaders are crashed over and over, right
 * after taking proposals, so logs diverge across many terms and an entry of an older term can
 * sit on a majority without being committable. State machine safety must hold throughout, on
 * a reliable network and on one that loses, duplicates and reorders; at the end the cluster
 * recovers and keeps every acknowledged write.
 */
import { describe, it } from "@effect/vitest"
import { Effect, Either, Fiber } from "effect"
import type { LinkFaults } from "../../src/sim/faults.js"
import { makeSimCluster, type SimCluster } from "../../src/sim/cluster.js"
import { Prng } from "../../src/sim/random.js"
import {
  type CallOutcome, awaitAgreedLeader, awaitConverged, call, check, expectNoViolations, forEachSeed, liveStatuses, localValue,
  seedsOr, writeUntilAcknowledged
} from "./harness.js"

/** Live nodes that believe they lead (more than one across terms is possible), waiting up to `withinMs`. */
const waitForSelfDeclaredLeaders = (cluster: SimCluster, withinMs: number) => Effect.gen(function*() {
  for (let waitedMs = 0; waitedMs < withinMs; waitedMs += 5) {
    const statuses = yield* liveStatuses(cluster)
    const leaders = statuses.filter((status) => status.role === "leader").map((status) => status.id)
    if (leaders.length > 0) return leaders
    yield* Effect.sleep("5 millis")
  }
  return []
})

const figure8 = (seed: number, linkFaults: Partial<LinkFaults>, iterations: number) => Effect.gen(function*() {
  const size = 5
  const majority = 3
  const cluster = yield* makeSimCluster({ seed, size, linkFaults })
  const prng = new Prng(seed).fork("figure8")
  const calls: Array<Fiber.RuntimeFiber<{ readonly key: string; readonly outcome: CallOutcome }>> = []
  let crashes = 0
  for (let i = 0; i < iterations; i++) {
    const leaders = yield* waitForSelfDeclaredLeaders(cluster, 1000)
    for (const id of leaders) {
      const key = `f${i}-${id}`
      calls.push(yield* Effect.fork(Effect.map(
        call(cluster, id, { _tag: "put", key, value: key, client: key, seq: 1 }, 2000), (outcome) => ({ key, outcome }))))
    }
    const leader = leaders[0]
    // Mostly crash right after proposing (entries on some nodes only), sometimes after a while.
    yield* Effect.sleep(`${prng.chance(0.1) ? prng.nextIntBetween(0, 500) : prng.nextIntBetween(0, 13)} millis`)
    if (leader !== undefined) {
      yield* cluster.crash(leader, prng.chance(0.5))
      crashes++
    }
    const down = cluster.ids.filter((node) => !cluster.isUp(node))
    if (size - down.length < majority) yield* cluster.restart(down[prng.nextIntBetween(0, down.length - 1)]!)
  }
  for (const id of cluster.ids) yield* cluster.restart(id)
  yield* cluster.network.setDefaultLinkFaults({ lossProbability: 0, duplicateProbability: 0, reorderProbability: 0 })
  yield* awaitAgreedLeader(cluster, 3000)
  yield* writeUntilAcknowledged(cluster, { _tag: "put", key: "final", value: String(seed), client: "final", seq: 1 }, 5000)
  const outcomes = yield* Fiber.joinAll(calls)
  yield* awaitConverged(cluster, 3000)
  const acknowledged = outcomes.filter((call) => Either.isRight(call.outcome))
  for (const { key } of acknowledged) {
    for (const id of cluster.ids) {
      const value = localValue(cluster, id, key)
      yield* check(value === key, `seed ${seed}: ${id} lost acknowledged write ${key} (has ${value})`)
    }
  }
  yield* check(crashes >= iterations / 2, `seed ${seed}: only ${crashes} leader crashes in ${iterations} rounds`)
  yield* expectNoViolations(cluster, seed)
  return { crashes, terms: cluster.monitor.terms, acknowledged: acknowledged.length, proposed: outcomes.length }
})

describe("figure 8", () => {
  it("reliable network, leaders crashed right after proposing: state machine safety holds", async () => {
    const runs = await forEachSeed(seedsOr([401, 402, 403, 404]), (seed) =>
      figure8(seed, { delayMinMs: 1, delayMaxMs: 5 }, 15))
    console.log(`figure 8 reliable: ${runs.map((run) => `${run.value.crashes} crashes/${run.value.terms} terms/${run.value.acknowledged} of ${run.value.proposed} acked`).join("; ")}`)
  }, 60_000)

  it("unreliable network (loss, duplication, reordering) with leader crashes: state machine safety holds", async () => {
    const runs = await forEachSeed(seedsOr([411, 412, 413, 414]), (seed) =>
      figure8(seed, {
        delayMinMs: 1, delayMaxMs: 20, lossProbability: 0.1, duplicateProbability: 0.05, reorderProbability: 0.1, reorderExtraMaxMs: 30
      }, 15))
    console.log(`figure 8 unreliable: ${runs.map((run) => `${run.value.crashes} crashes/${run.value.terms} terms/${run.value.acknowledged} of ${run.value.proposed} acked`).join("; ")}`)
  }, 60_000)
})
