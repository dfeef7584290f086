/** The nemesis's pure parts: settings, fault schedule, availability windows, percentiles, timeline. */
import { describe, expect, it } from "@effect/vitest"
import type { Operation } from "../../src/check/history.js"
import { errorCounts, faultImpacts, percentiles, unavailability } from "../../src/nemesis/analysis.js"
import type { Attempt } from "../../src/nemesis/attempts.js"
import { historyLine, parseAnswer } from "../../src/nemesis/http-clients.js"
import { planFaults } from "../../src/nemesis/schedule.js"
import { defaultSettings, parseFaultKinds, settingsProblem } from "../../src/nemesis/settings.js"
import { renderTimeline } from "../../src/nemesis/timeline-svg.js"

const attempt = (startMs: number, endMs: number, outcome: Attempt["outcome"] = "ok", kind: Attempt["kind"] = "write"): Attempt =>
  ({ client: "h1", kind, node: "127.0.0.1:1", startMs, endMs, outcome })

describe("settings", () => {
  it("parses fault lists and names unknown faults", () => {
    expect(parseFaultKinds("kill, pause,kill")).toEqual(["kill", "pause"])
    expect(parseFaultKinds("kill,flood")).toMatch(/unknown fault\(s\): flood/)
  })
  it("refuses out-of-range runs", () => {
    expect(settingsProblem(defaultSettings())).toBeUndefined()
    expect(settingsProblem(defaultSettings({ nodes: 0 }))).toMatch(/--nodes/)
    expect(settingsProblem(defaultSettings({ durationMs: 1_000 }))).toMatch(/--duration/)
    expect(settingsProblem(defaultSettings({ httpClients: 0, cliClients: 0 }))).toMatch(/clients/)
  })
})

describe("planFaults", () => {
  const base = defaultSettings({ durationMs: 30_000, seed: 7 })
  it("spaces faults after the warm-up, ends them before the cool-down, kinds in turn", () => {
    const plan = planFaults(base)
    expect(plan.length).toBe(4) // starts at 2, 8, 14, 20 s; one at 26 s would end in the cool-down
    expect(plan.map((f) => f.kind)).toEqual(["kill", "pause", "partition", "kill"])
    for (const [i, fault] of plan.entries()) {
      expect(fault.startMs).toBe(base.warmupMs + i * (base.faultActiveMs + base.quietMs))
      expect(fault.endMs).toBeLessThanOrEqual(base.durationMs - base.cooldownMs)
      if (fault.target._tag === "node") expect(fault.target.index).toBeLessThan(base.nodes)
    }
  })
  it("is a function of the seed", () => {
    expect(planFaults(base)).toEqual(planFaults(base))
    const targets = (seed: number) => planFaults({ ...base, durationMs: 600_000, seed }).map((f) => JSON.stringify(f.target))
    expect(targets(1)).not.toEqual(targets(2))
  })
  it("plans nothing without fault kinds or time", () => {
    expect(planFaults({ ...base, faults: [] })).toEqual([])
    expect(planFaults({ ...base, durationMs: 5_000 })).toEqual([])
  })
})

describe("unavailability", () => {
  it("is zero without a failed or stalled attempt", () => {
    expect(unavailability([attempt(10, 20), attempt(30, 40)], 0, 100, 500)).toEqual({ firstBadMs: null, recoveredMs: null, windowMs: 0 })
  })
  it("runs from the first failed attempt to the end of the first good one after it", () => {
    const attempts = [attempt(5, 6), attempt(10, 12, "unreachable"), attempt(15, 2_015, "timeout"), attempt(20, 700), attempt(2_020, 2_030), attempt(2_040, 2_050)]
    // the attempt at 20 succeeded but took 680 ms: a stall, not a recovery
    expect(unavailability(attempts, 8, 10_000, 500)).toEqual({ firstBadMs: 10, recoveredMs: 2_030, windowMs: 2_020 })
  })
  it("says when the service never recovered within the horizon", () => {
    expect(unavailability([attempt(10, 12, "unavailable")], 0, 100, 500).windowMs).toBeNull()
  })
  it("judges each fault up to the next one, reads and writes apart", () => {
    const faults = [
      { id: 1, kind: "kill" as const, node: "n1", startMs: 100, endMs: 200 },
      { id: 2, kind: "pause" as const, node: "n2", startMs: 300, endMs: 400 }
    ]
    const attempts = [attempt(110, 111, "unreachable"), attempt(150, 160), attempt(310, 320, "timeout", "read"), attempt(330, 335, "ok", "read")]
    const impacts = faultImpacts(faults, attempts, 1_000, 500)
    expect(impacts.map((i) => [i.writes.windowMs, i.reads.windowMs])).toEqual([[50, 0], [0, 25]])
  })
})

describe("percentiles and counts", () => {
  it("uses nearest rank", () => {
    const samples = Array.from({ length: 100 }, (_, i) => 100 - i)
    expect(percentiles(samples)).toEqual({ count: 100, p50: 50, p90: 90, p99: 99, max: 100 })
    expect(percentiles([])).toEqual({ count: 0, p50: null, p90: null, p99: null, max: null })
  })
  it("counts attempts by outcome and operations by result", () => {
    const ops: Array<Operation> = [
      { client: "a", op: "get", key: "k", output: null, call: 0, ret: 1, ok: true },
      { client: "a", op: "put", key: "k", value: "v", call: 2, ret: null, ok: null },
      { client: "a", op: "put", key: "k", value: "w", call: 3, ret: 4, ok: false }
    ]
    const counts = errorCounts([attempt(0, 1), attempt(1, 2, "timeout"), attempt(2, 3, "timeout", "read")], ops)
    expect(counts.attempts.write).toMatchObject({ ok: 1, timeout: 1 })
    expect(counts.attempts.read).toMatchObject({ ok: 0, timeout: 1 })
    expect(counts.operations).toEqual({ completed: 1, failed: 1, unknown: 1 })
  })
})

describe("client records", () => {
  it("parses KEY=VALUE and KEY=NIL, and nothing else", () => {
    expect(parseAnswer("k1", "k1=a=b\n")).toBe("a=b")
    expect(parseAnswer("k1", "k1=NIL")).toBeNull()
    expect(parseAnswer("k1", "k2=x")).toBeUndefined()
    expect(parseAnswer("k1", "ERROR: no quorum")).toBeUndefined()
  })
  it("records an unanswered write as unknown and an unanswered read as failed", () => {
    const put = historyLine("h1", { kind: "put", key: "k", value: "h1-3" }, 5, { _tag: "unknown" })
    expect(put).toEqual({ client: "h1", op: "put", key: "k", value: "h1-3", call: 5, ret: null, ok: null })
    const get = historyLine("h1", { kind: "get", key: "k", value: "h1-4" }, 6, { _tag: "unknown" })
    expect(get).toMatchObject({ op: "get", ok: false })
    expect(get).not.toHaveProperty("value")
  })
})

describe("renderTimeline", () => {
  const operations: Array<Operation> = [
    { client: "h2", op: "put", key: "k", value: "a<b", output: null, call: 0, ret: 10, ok: true },
    { client: "h1", op: "get", key: "k", output: "x", call: 20, ret: 30, ok: true },
    { client: "h1", op: "put", key: "k", value: "c", call: 40, ret: null, ok: null }
  ]
  const faults = [{ id: 1, kind: "partition" as const, node: "127.0.0.1:9", startMs: 5, endMs: 25 }]
  it("draws one row per client, faults shaded, blamed operations outlined, text escaped", () => {
    const svg = renderTimeline({ operations, faults, violations: new Set([1]), durationMs: 100, title: "t & t" })
    expect(svg.startsWith("<svg")).toBe(true)
    expect(svg).toContain("t &amp; t")
    expect(svg).toContain("a&lt;b")
    expect(svg).not.toContain("a<b")
    expect(svg.match(/<rect [^>]*height="14"/g)?.length).toBe(3)
    expect(svg.match(/stroke="red"/g)?.length).toBe(1)
    expect(svg).toContain("partition 127.0.0.1:9")
    expect(svg.indexOf(">h1<")).toBeLessThan(svg.indexOf(">h2<"))
  })
  it("draws at most maxBars operations but always the blamed ones", () => {
    const svg = renderTimeline({ operations, faults: [], violations: new Set([2]), durationMs: 100, title: "", maxBars: 1 })
    expect(svg.match(/<rect [^>]*height="14"/g)?.length).toBe(2)
    expect(svg).toContain("1 operations not drawn")
  })
})

describe("unavailability at the horizon", () => {
  it("leaves a bad attempt still running when the next fault starts to that fault", () => {
    const attempts = [attempt(90, 2_090, "timeout"), attempt(2_100, 2_110)]
    expect(unavailability(attempts, 0, 100, 500)).toEqual({ firstBadMs: null, recoveredMs: null, windowMs: 0 })
    expect(unavailability(attempts, 0, 3_000, 500)).toEqual({ firstBadMs: 90, recoveredMs: 2_110, windowMs: 2_020 })
  })
})
