/**
 * Leader election on the simulated cluster: the first election, re-election after the leader
 * is lost (crashed or cut off), many elections under repeated isolation, and leadership
 * transfer. Every scenario runs on several seeds in virtual time.
 */
import { describe, it } from "@effect/vitest"
import { Duration, Effect } from "effect"
import { makeSimCluster } from "../../src/sim/cluster.js"
import { Prng } from "../../src/sim/random.js"
import {
  agreedLeader, awaitAgreedLeader, awaitAgreedLeaderWhere, awaitConverged, awaitValue, check, expectNoViolations, forEachSeed, liveStatuses, ms, nowMs, seedsOr,
  statusOf, writeUntilAcknowledged
} from "./harness.js"

const lan = { delayMinMs: 1, delayMaxMs: 5 }

describe("initial election", () => {
  it.each([3, 5])("%i nodes: one leader within 1 s of virtual time, every node agrees on it and its term", async (size) => {
    const runs = await forEachSeed(seedsOr([1, 2, 3, 4, 5, 6, 7, 8]), (seed) => Effect.gen(function*() {
      const cluster = yield* makeSimCluster({ seed, size, linkFaults: lan })
      const elected = yield* awaitAgreedLeader(cluster, 1000)
      const statuses = yield* liveStatuses(cluster)
      const leaders = statuses.filter((status) => status.role === "leader")
      yield* check(leaders.length === 1, `seed ${seed}: ${leaders.length} leaders`)
      yield* check(statuses.every((s) => s.term === elected.value.term), `seed ${seed}: terms differ: ${statuses.map((s) => s.term)}`)
      // Stays settled: no further election while the network is healthy.
      yield* Effect.sleep("500 millis")
      const later = yield* agreedLeader(cluster)
      yield* check(later?.id === elected.value.id && later.term === elected.value.term,
        `seed ${seed}: leader changed from ${JSON.stringify(elected.value)} to ${JSON.stringify(later)} on a healthy network`)
      yield* expectNoViolations(cluster, seed)
      return elected.elapsedMs
    }))
    const times = runs.map((run) => run.value)
    console.log(`initial election, ${size} nodes: ${times.join(", ")} ms (max ${Math.max(...times)})`)
  }, 60_000)
})

describe("re-election after leader loss", () => {
  it("a crashed leader is replaced within the election bound; on restart it follows the new leader", async () => {
    const runs = await forEachSeed(seedsOr([11, 12, 13, 14, 15, 16]), (seed) => Effect.gen(function*() {
      const cluster = yield* makeSimCluster({ seed, size: 3, linkFaults: lan })
      const raft = cluster.config.raft
      // Bound: the slowest timeout, a lost pre-vote/vote round to the leases (a second timeout), round trips.
      const electionBoundMs = 2 * ms(raft.electionTimeoutMax) + 4 * lan.delayMaxMs + 2 * ms(raft.tick)
      const first = (yield* awaitAgreedLeader(cluster, 1000)).value
      yield* cluster.crash(first.id)
      const survivors = cluster.ids.filter((id) => id !== first.id)
      const second = yield* awaitAgreedLeader(cluster, electionBoundMs, survivors)
      yield* check(second.value.term > first.term, `seed ${seed}: new leader's term ${second.value.term} <= ${first.term}`)
      yield* cluster.restart(first.id)
      const rejoined = yield* awaitAgreedLeader(cluster, 1000)
      yield* check(rejoined.value.id === second.value.id,
        `seed ${seed}: restarted ${first.id} disturbed the leader ${second.value.id}: now ${rejoined.value.id}`)
      yield* expectNoViolations(cluster, seed)
      return second.elapsedMs
    }))
    console.log(`re-election after crash: ${runs.map((run) => run.value).join(", ")} ms`)
  }, 60_000)

  it("an isolated leader steps down (check-quorum), the rest elect a new one, and the old one follows it after healing", async () => {
    const runs = await forEachSeed(seedsOr([21, 22, 23, 24, 25, 26]), (seed) => Effect.gen(function*() {
      const cluster = yield* makeSimCluster({ seed, size: 5, linkFaults: lan })
      const raft = cluster.config.raft
      const electionBoundMs = 2 * ms(raft.electionTimeoutMax) + 4 * lan.delayMaxMs + 2 * ms(raft.tick)
      const first = (yield* awaitAgreedLeader(cluster, 1000)).value
      yield* cluster.network.isolate(first.id)
      const others = cluster.ids.filter((id) => id !== first.id)
      const second = yield* awaitAgreedLeader(cluster, electionBoundMs, others)
      // Check-quorum runs once per minimum election timeout: two windows at most.
      yield* awaitValue(`seed ${seed}: isolated leader ${first.id} steps down`, Effect.map(statusOf(cluster, first.id),
        (status) => (status.role === "leader" ? undefined : status)), 2 * ms(raft.electionTimeoutMin) + 2 * ms(raft.tick))
      const isolatedTerm = (yield* statusOf(cluster, first.id)).term
      yield* check(isolatedTerm === first.term, `seed ${seed}: isolated node's term grew to ${isolatedTerm} (pre-vote should stop it)`)
      yield* cluster.network.heal
      const healed = yield* awaitAgreedLeader(cluster, 2 * ms(raft.heartbeatEvery) + 4 * lan.delayMaxMs)
      yield* check(healed.value.id === second.value.id && healed.value.term === second.value.term,
        `seed ${seed}: after healing ${JSON.stringify(healed.value)}, expected ${JSON.stringify(second.value)}`)
      yield* expectNoViolations(cluster, seed)
      return second.elapsedMs
    }))
    console.log(`re-election after isolation: ${runs.map((run) => run.value).join(", ")} ms`)
  }, 60_000)
})

describe("many elections", () => {
  it("repeatedly isolating and healing random nodes never gives two leaders in a term, and a leader follows each heal", async () => {
    await forEachSeed(seedsOr([31, 32, 33, 34, 35]), (seed) => Effect.gen(function*() {
      const size = seed % 2 === 0 ? 3 : 5
      const cluster = yield* makeSimCluster({ seed, size, linkFaults: lan })
      const prng = new Prng(seed).fork("elections")
      yield* awaitAgreedLeader(cluster, 1000)
      const rounds = 10
      for (let round = 0; round < rounds; round++) {
        // Cut off up to a minority, sometimes the leader, sometimes a random node.
        const leader = yield* agreedLeader(cluster)
        const victims = new Set<string>()
        if (leader !== undefined && prng.chance(0.6)) victims.add(leader.id)
        while (victims.size < Math.floor((size - 1) / 2)) victims.add(cluster.ids[prng.nextIntBetween(0, size - 1)]!)
        for (const victim of victims) yield* cluster.network.isolate(victim)
        yield* Effect.sleep(`${prng.nextIntBetween(50, 600)} millis`)
        yield* cluster.network.heal
        yield* Effect.sleep(`${prng.nextIntBetween(0, 300)} millis`)
      }
      yield* cluster.network.heal
      yield* awaitAgreedLeader(cluster, 2000)
      yield* check(cluster.monitor.terms >= 3, `seed ${seed}: only ${cluster.monitor.terms} terms had a leader: the faults did not bite`)
      yield* expectNoViolations(cluster, seed)
      yield* writeUntilAcknowledged(cluster, { _tag: "put", key: "after", value: String(seed), client: "c", seq: 1 }, 2000)
    }))
  }, 60_000)
})

describe("leadership transfer", () => {
  it("another node becomes leader without waiting an election timeout", async () => {
    const runs = await forEachSeed(seedsOr([41, 42, 43, 44, 45, 46]), (seed) => Effect.gen(function*() {
      const cluster = yield* makeSimCluster({ seed, size: seed % 2 === 0 ? 3 : 5, linkFaults: lan })
      const raft = cluster.config.raft
      const first = (yield* awaitAgreedLeader(cluster, 1000)).value
      yield* writeUntilAcknowledged(cluster, { _tag: "put", key: "k", value: "before", client: "c", seq: 1 }, 1000)
      const start = yield* nowMs
      yield* cluster.replica(first.id)!.raft.transferLeadership()
      const next = yield* awaitAgreedLeaderWhere(cluster, `seed ${seed}: a new leader after transfer`, (leader) => leader.id !== first.id,
        1000, { every: "1 millis" })
      const elapsedMs = (yield* nowMs) - start
      // Two heartbeats and a round trip, well under the minimum election timeout.
      const boundMs = 2 * ms(raft.heartbeatEvery) + 2 * lan.delayMaxMs + ms(raft.tick)
      yield* check(elapsedMs <= boundMs, `seed ${seed}: transfer took ${elapsedMs} ms > ${boundMs} ms`)
      yield* check(next.value.term === first.term + 1, `seed ${seed}: term went ${first.term} -> ${next.value.term}, expected one election`)
      const old = yield* statusOf(cluster, first.id)
      yield* check(old.role === "follower" && old.leader === next.value.id, `seed ${seed}: old leader is ${old.role} following ${old.leader}`)
      const write = yield* writeUntilAcknowledged(cluster, { _tag: "put", key: "k", value: "after", client: "c", seq: 2 }, 1000)
      yield* check(JSON.stringify(write.result) === JSON.stringify({ _tag: "value", value: "before" }),
        `seed ${seed}: write after transfer returned ${JSON.stringify(write.result)}`)
      yield* expectNoViolations(cluster, seed)
      return elapsedMs
    }))
    console.log(`leadership transfer: ${runs.map((run) => run.value).join(", ")} ms`)
  }, 60_000)

  it("a transfer to a crashed node is given up after an election timeout and the leader takes writes again", async () => {
    await forEachSeed(seedsOr([51, 52, 53, 54]), (seed) => Effect.gen(function*() {
      const cluster = yield* makeSimCluster({ seed, size: 3, linkFaults: lan })
      const raft = cluster.config.raft
      const first = (yield* awaitAgreedLeader(cluster, 1000)).value
      const target = cluster.ids.find((id) => id !== first.id)!
      yield* cluster.crash(target)
      yield* cluster.replica(first.id)!.raft.transferLeadership(target)
      const start = yield* nowMs
      const write = yield* writeUntilAcknowledged(cluster, { _tag: "put", key: "k", value: "v", client: "c", seq: 1 }, 2000, 500)
      const boundMs = ms(raft.electionTimeoutMax) + 2 * ms(raft.tick) + 20 + 4 * lan.delayMaxMs
      yield* check(write.elapsedMs <= boundMs, `seed ${seed}: writes blocked ${(yield* nowMs) - start} ms by a transfer to a dead node`)
      const leader = yield* agreedLeader(cluster, cluster.ids.filter((id) => id !== target))
      yield* check(leader?.id === first.id && leader.term === first.term, `seed ${seed}: leader changed to ${JSON.stringify(leader)}`)
      yield* expectNoViolations(cluster, seed)
    }))
  }, 60_000)
})

describe("suspended leader", () => {
  it("a leader paused past the election timeout is replaced, and steps down as soon as it resumes", async () => {
    await forEachSeed(seedsOr([61, 62, 63, 64]), (seed) => Effect.gen(function*() {
      const cluster = yield* makeSimCluster({ seed, size: 3, linkFaults: lan })
      const raft = cluster.config.raft
      const first = (yield* awaitAgreedLeader(cluster, 1000)).value
      const pauseMs = 1000
      yield* cluster.replica(first.id)!.raft.suspend(Duration.millis(pauseMs))
      const others = cluster.ids.filter((id) => id !== first.id)
      const second = (yield* awaitAgreedLeader(cluster, pauseMs - 100, others)).value
      yield* writeUntilAcknowledged(cluster, { _tag: "put", key: "k", value: "during", client: "c", seq: 1 }, 500)
      yield* Effect.sleep(`${pauseMs} millis`)
      // Back from the pause it still believes it leads term `first.term`; one exchange corrects it.
      const settled = yield* awaitAgreedLeader(cluster, 2 * ms(raft.heartbeatEvery) + 4 * lan.delayMaxMs + ms(raft.tick))
      yield* check(settled.value.id === second.id && settled.value.term === second.term,
        `seed ${seed}: after the pause ${JSON.stringify(settled.value)}, expected ${JSON.stringify(second)}`)
      yield* awaitConverged(cluster, 1000)
      yield* expectNoViolations(cluster, seed)
    }))
  }, 60_000)
})

describe("asymmetric partitions", () => {
  it("a leader that can send but not receive steps down and the cluster keeps serving writes", async () => {
    await forEachSeed(seedsOr([71, 72, 73, 74]), (seed) => Effect.gen(function*() {
      const cluster = yield* makeSimCluster({ seed, size: 3, linkFaults: lan })
      const first = (yield* awaitAgreedLeader(cluster, 1000)).value
      for (const id of cluster.ids) if (id !== first.id) yield* cluster.network.cut(id, first.id)
      const others = cluster.ids.filter((id) => id !== first.id)
      const next = yield* awaitAgreedLeaderWhere(cluster, `seed ${seed}: a new leader among ${others.join(",")}`,
        (leader) => leader.id !== first.id, 2000, { among: others })
      yield* check(next.value.term > first.term, `seed ${seed}: new leader's term ${next.value.term}`)
      const write = yield* writeUntilAcknowledged(cluster, { _tag: "put", key: "k", value: "v", client: "c", seq: 1 }, 2000, 500)
      yield* check(write.result._tag === "value", `seed ${seed}: ${JSON.stringify(write.result)}`)
      yield* cluster.network.heal
      yield* awaitConverged(cluster, 1000)
      yield* expectNoViolations(cluster, seed)
    }))
  }, 60_000)

  it("two halves joined only through a bridge node: the leader's side keeps it, the far side cannot disrupt it", async () => {
    await forEachSeed(seedsOr([81, 82, 83, 84]), (seed) => Effect.gen(function*() {
      const cluster = yield* makeSimCluster({ seed, size: 5, linkFaults: lan })
      const first = (yield* awaitAgreedLeader(cluster, 1000)).value
      const [near, far1, far2, bridge] = cluster.ids.filter((id) => id !== first.id) as [string, string, string, string]
      yield* cluster.network.bridge([first.id, near], [far1, far2], bridge)
      // The far side hears no leader and campaigns; pre-vote and the bridge's lease keep its
      // term from rising, so the leader (still with a majority through the bridge) is not deposed.
      yield* Effect.sleep("1 second")
      const leader = yield* agreedLeader(cluster, [first.id, near, bridge])
      yield* check(leader?.id === first.id && leader.term === first.term,
        `seed ${seed}: leader ${JSON.stringify(first)} became ${JSON.stringify(leader)} under a bridge partition`)
      for (const id of [far1, far2]) {
        const status = yield* statusOf(cluster, id)
        yield* check(status.term === first.term, `seed ${seed}: far node ${id} pushed its term to ${status.term}`)
      }
      const write = yield* writeUntilAcknowledged(cluster, { _tag: "put", key: "k", value: "v", client: "c", seq: 1 }, 3000, 500)
      yield* check(write.result._tag === "value", `seed ${seed}: ${JSON.stringify(write.result)}`)
      yield* cluster.network.heal
      yield* awaitConverged(cluster, 1000)
      yield* expectNoViolations(cluster, seed)
    }))
  }, 60_000)
})
