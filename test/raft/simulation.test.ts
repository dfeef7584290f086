/**
 * Hundreds of seeded cluster runs under faults (see random-run.ts); the failing seed is printed.
 */
import { describe, expect, it } from "vitest"
import { runSeed } from "./random-run.js"

const chaosTicks = 1500

describe("randomized cluster simulation (Raft Figure 3 properties)", () => {
  it("keeps safety under faults and commits after healing, across 400 seeds (RAFT_SIM_SEEDS overrides)", () => {
    const seeds = Number(process.env.RAFT_SIM_SEEDS ?? 400)
    const totals = { committed: 0, leaderTerms: 0, snapshotsInstalled: 0, readsAnswered: 0 }
    for (let seed = 1; seed <= seeds; seed++) {
      try {
        const report = runSeed(seed, chaosTicks)
        totals.committed += report.committed
        totals.leaderTerms += report.leaderTerms
        totals.snapshotsInstalled += report.snapshotsInstalled
        totals.readsAnswered += report.readsAnswered
      } catch (error) {
        throw new Error(`raft simulation failed (reproduce with runSeed(${seed}, ${chaosTicks})): ${(error as Error).message}`)
      }
    }
    console.log(`raft simulation, ${seeds} seeds: ${JSON.stringify(totals)}`)
    // The faults must really have exercised elections, snapshots and reads.
    expect(totals.committed).toBeGreaterThan(seeds * 50)
    expect(totals.leaderTerms).toBeGreaterThan(seeds * 2)
    expect(totals.snapshotsInstalled).toBeGreaterThan(seeds / 10)
    expect(totals.readsAnswered).toBeGreaterThan(seeds * 10)
  }, 120_000)
})
