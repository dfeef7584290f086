/**
 * Graceful shutdown of the leader hands leadership over (TimeoutNow) instead of leaving the
 * followers to time out. The cluster runs with election timeouts of 3-4 s, so an election after
 * a silent leader would take at least 3 s; a hand-over takes a round trip or two.
 */
import { afterAll, beforeAll, describe, expect, it } from "@effect/vitest"
import * as crypto from "node:crypto"
import { Effect } from "effect"
import { built, type StartedCluster, startCluster } from "../support/process-cluster.js"
import { ensureAllServing } from "./helpers.js"

const hosts = ["127.0.0.4", "127.0.0.5", "127.0.0.6"]
const slowElections = { raft: { electionTimeoutMin: "3 seconds", electionTimeoutMax: "4 seconds" } }
/** Far below the 3 s an election would need, far above a hand-over even on a loaded machine. */
const handOverBoundMs = 1_500

describe.skipIf(!built)("graceful leader shutdown (real processes)", () => {
  let started: StartedCluster
  beforeAll(async () => {
    started = await startCluster(hosts, crypto.randomBytes(18).toString("base64url"), {
      env: { TROUPE_CONFIG_JSON: JSON.stringify(slowElections) }
    })
  }, 200_000)
  afterAll(async () => {
    await started?.close()
  }, 30_000)

  it.live("SIGTERM of the leader hands leadership over at once and the process exits 0", () =>
    Effect.gen(function*() {
      const { cluster } = started
      yield* ensureAllServing(cluster)
      const leader = yield* cluster.awaitLeader("10 seconds")
      const before = (yield* cluster.status(leader.index))!
      const others = started.cluster.nodes.filter((node) => node.index !== leader.index)
      const signalledAt = performance.now()
      yield* cluster.signal(leader.index, "SIGTERM")
      let successor: string | undefined
      // Bounded: 5 s of 5 ms polls.
      while (successor === undefined && performance.now() - signalledAt < 5_000) {
        const statuses = yield* Effect.forEach(others, (node) => cluster.status(node.index), { concurrency: "unbounded" })
        successor = statuses.find((s) => s?.role === "leader" && s.term > before.term)?.id
        if (successor === undefined) yield* Effect.sleep("5 millis")
      }
      const handOverMs = performance.now() - signalledAt
      console.log(`hand-over: ${successor} leads ${handOverMs.toFixed(0)} ms after SIGTERM of ${leader.id}`)
      expect(successor).toBeDefined()
      expect(handOverMs).toBeLessThan(handOverBoundMs)
      const exit = yield* cluster.awaitExit(leader.index, "15 seconds")
      expect(exit).toEqual({ code: 0, signal: null })
    }), 60_000)

})
