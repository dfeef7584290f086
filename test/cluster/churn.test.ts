/**
 * Churn: clients keep calling while a nemesis crashes and restarts random nodes, never more than
 * a minority down at once. Afterwards everything is restarted and healed: every node converges
 * to the same state, the cluster serves writes again, and the whole history is linearizable.
 */
import { describe, it } from "@effect/vitest"
import { Clock, Duration, Effect } from "effect"
import { makeSimCluster, type SimCluster } from "../../src/sim/cluster.js"
import { Prng } from "../../src/sim/random.js"
import { History, runWorkload } from "../../src/sim/workload.js"
import {
  awaitAgreedLeader, awaitConverged, check, expectLinearizable, expectNoViolations, forEachSeed, seedsOr,
  writeUntilAcknowledged
} from "./harness.js"

/** Crashes or restarts one random node every few hundred ms until `stopAtMs`; at most a minority down. */
const nemesis = (cluster: SimCluster, prng: Prng, stopAtMs: number) => Effect.gen(function*() {
  const minority = Math.floor((cluster.ids.length - 1) / 2)
  let crashes = 0
  while ((yield* Clock.currentTimeMillis) < stopAtMs) {
    yield* Effect.sleep(`${prng.nextIntBetween(100, 600)} millis`)
    const down = cluster.ids.filter((id) => !cluster.isUp(id))
    if (down.length < minority && (down.length === 0 || prng.chance(0.6))) {
      const up = cluster.ids.filter((id) => cluster.isUp(id))
      yield* cluster.crash(up[prng.nextIntBetween(0, up.length - 1)]!, prng.chance(0.5))
      crashes++
    } else if (down.length > 0) {
      yield* cluster.restart(down[prng.nextIntBetween(0, down.length - 1)]!)
    }
  }
  return crashes
})

describe("churn", () => {
  it("random crashes and restarts of up to a minority, with clients: afterwards every node converges", async () => {
    const runs = await forEachSeed(seedsOr([501, 502, 503, 504]), (seed) => Effect.gen(function*() {
      const size = seed % 2 === 0 ? 3 : 5
      const cluster = yield* makeSimCluster({ seed, size, linkFaults: { delayMinMs: 1, delayMaxMs: 8 } })
      const prng = new Prng(seed).fork("churn")
      yield* awaitAgreedLeader(cluster, 1000)
      const history = new History()
      const stopAtMs = (yield* Clock.currentTimeMillis) + 2500
      const [, crashes] = yield* Effect.all([
        runWorkload(cluster, history, prng.fork("clients"), {
          clients: 3, keys: 3, callTimeout: Duration.seconds(1), maxThinkMs: 60, clientPrefix: "c"
        }, stopAtMs),
        nemesis(cluster, prng.fork("nemesis"), stopAtMs)
      ], { concurrency: "unbounded" })
      for (const id of cluster.ids) yield* cluster.restart(id)
      yield* writeUntilAcknowledged(cluster, { _tag: "put", key: "k0", value: "final", client: "final", seq: 1 }, 3000)
      const converged = yield* awaitConverged(cluster, 3000)
      yield* check(crashes >= 2, `seed ${seed}: only ${crashes} crashes: the nemesis did not bite`)
      yield* check(history.completed >= 20, `seed ${seed}: only ${history.completed} client calls completed under churn`)
      yield* expectLinearizable(history.operations, seed)
      yield* expectNoViolations(cluster, seed)
      return { crashes, completed: history.completed, failed: history.failed, applied: converged.value.appliedIndex }
    }))
    console.log(`churn: ${runs.map((run) => `${run.value.crashes} crashes, ${run.value.completed} ok/${run.value.failed} failed calls`).join("; ")}`)
  }, 60_000)
})
