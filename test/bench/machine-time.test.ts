import { describe, expect, it } from "vitest"
import type { MeasuredLoad } from "../../bench/lib/load.js"
import { machineTimeBetween, parseProcStat } from "../../bench/lib/proc-cpu.js"
import { machineLine } from "../../bench/lib/report.js"

// Shaped like /proc/stat on a 2-vCPU machine (the aggregate line is a real one), ticks of 1/100 s.
const PROC_STAT = `cpu  4816461 0 718985 4241322 36477 0 131756 194987 0 0
cpu0 2408230 0 359492 2120661 18238 0 65878 97493 0 0
cpu1 2408231 0 359493 2120661 18239 0 65878 97494 0 0
intr 1 2 3
`

const load = (machine: MeasuredLoad["machine"]): MeasuredLoad => ({
  load: { tool: "wrk", requests: 100_000, seconds: 10, perSecond: 10_000, p50Ms: 5, p99Ms: 20, maxMs: 50, failed: 0 },
  serverCpuMs: 7_000,
  followerCpuMs: 3_500,
  allServersCpuMs: 14_000,
  machine,
  leaderTraffic: undefined
})

describe("machine time from /proc/stat", () => {
  it("sums busy (user, nice, system, irq, softirq), idle (idle, iowait) and steal", () => {
    expect(parseProcStat(PROC_STAT, 100)).toEqual({
      busyMs: (4816461 + 0 + 718985 + 0 + 131756) * 10,
      idleMs: (4241322 + 36477) * 10,
      stealMs: 194987 * 10
    })
  })

  it("refuses text without a complete aggregate line", () => {
    expect(parseProcStat("cpu0 1 2 3 4 5 6 7 8\n", 100)).toBeUndefined()
    expect(parseProcStat("cpu  1 2 3 four 5 6 7 8\n", 100)).toBeUndefined()
    expect(parseProcStat("cpu  1 2 3\n", 100)).toBeUndefined()
  })

  it("takes the difference of two readings", () => {
    expect(machineTimeBetween({ busyMs: 10, idleMs: 20, stealMs: 30 }, { busyMs: 15, idleMs: 27, stealMs: 39 }))
      .toEqual({ busyMs: 5, idleMs: 7, stealMs: 9 })
  })
})

describe("machine line of the report", () => {
  it("splits the CPU per request and scales the rate to the CPU the host left", () => {
    // 2 CPUs x 10 s: 16 s busy, 1.6 s idle, 2.4 s stolen. 160 µs per request; (16 + 1.6) / 16 x 10,000/s.
    const line = machineLine("writes", load({ busyMs: 16_000, idleMs: 1_600, stealMs: 2_400 }), 2)
    expect(line).toBe(
      "machine during writes (2 CPUs x 10.0 s): busy 80%, idle 8%, stolen by the host 12%; CPU per request 160 µs: " +
        "servers 140 (leader 70, followers 35 each), everything else (load generator, kernel threads) 20; " +
        "at that cost the CPU the host left would carry at most 11000/s"
    )
  })

  it("says so when the machine's time is unknown", () => {
    expect(machineLine("reads", load(undefined), 2)).toBe("machine during reads: unknown (no /proc/stat)")
  })
})
