/** The benchmark's printed report: the results table against the issue's targets, then the profiles. */
import type { BenchOptions } from "./args.js"
import { type Cost, formatSummary } from "./cpuprofile.js"
import { type FailoverResult, PROBE_EVERY_MS, PROBE_TIMEOUT_MS } from "./failover.js"
import type { FsyncProbe } from "./fsync-probe.js"
import type { MeasuredLoad } from "./load.js"
import type { ProfiledPhase } from "./profile-phase.js"

/** The issue's targets for troupe, and etcd 3.4 (3 members, HTTP gateway) measured on this machine class. */
const TARGET = { writesPerSecond: 14_000, readsPerSecond: 22_000, p99Ms: 15, failoverMedianMs: 300 }
const ETCD = { writes: "7,000/s p99 23 ms", reads: "10,900/s p99 14 ms", failover: "320 ms", bareHttp: "67,000/s" }

export interface Report {
  readonly tool: "wrk" | "node"
  readonly options: BenchOptions
  readonly machine: { readonly cpus: number; readonly loadAverage: ReadonlyArray<number>; readonly node: string }
  readonly fsync: FsyncProbe
  readonly writes: MeasuredLoad
  readonly reads: MeasuredLoad
  readonly leaderFsyncs: number
  readonly failovers: ReadonlyArray<FailoverResult>
  readonly baseline: MeasuredLoad | undefined
  readonly profiles: ReadonlyArray<ProfiledPhase>
}

const pad = (cells: ReadonlyArray<string>, widths: ReadonlyArray<number>) =>
  cells.map((cell, i) => i === 0 ? cell.padEnd(widths[i]!) : cell.padStart(widths[i]!)).join("  ")

const table = (header: ReadonlyArray<string>, rows: ReadonlyArray<ReadonlyArray<string>>): string => {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((row) => row[i]!.length)))
  return [pad(header, widths), widths.map((w) => "-".repeat(w)).join("  "), ...rows.map((row) => pad(row, widths))].join("\n")
}

const cpuPerRequest = (cpuMs: number | undefined, requests: number) =>
  cpuMs === undefined || requests === 0 ? "-" : (cpuMs / requests).toFixed(3)

const loadRow = (name: string, measured: MeasuredLoad, target: string, reference: string) => [
  name,
  measured.load.perSecond.toFixed(0),
  measured.load.p50Ms.toFixed(2),
  measured.load.p99Ms.toFixed(2),
  measured.load.maxMs.toFixed(1),
  String(measured.load.failed),
  cpuPerRequest(measured.serverCpuMs, measured.load.requests),
  cpuPerRequest(measured.followerCpuMs, measured.load.requests),
  target,
  reference
]

const trafficLine = (phase: string, measured: MeasuredLoad): string => {
  const traffic = measured.leaderTraffic
  const requests = Math.max(1, measured.load.requests)
  return traffic === undefined
    ? `leader peer traffic during ${phase}: unknown`
    : `leader peer traffic during ${phase}: ${traffic.sent} messages sent (${(traffic.sent / requests).toFixed(2)}/request, ` +
      `${(traffic.sentBytes / Math.max(1, traffic.sent)).toFixed(0)} B each), ${traffic.received} received (${(traffic.received / requests).toFixed(2)}/request)`
}

/**
 * Where the machine's time went during a phase, and how many requests per second all of the CPU
 * the host left (busy + idle, not stolen) would carry at the phase's cost per request. That
 * ceiling is an estimate: it assumes the cost per request stays the same at full load.
 */
export const machineLine = (phase: string, measured: MeasuredLoad, cpus: number): string => {
  const machine = measured.machine
  if (machine === undefined || machine.busyMs <= 0) return `machine during ${phase}: unknown (no /proc/stat)`
  const totalMs = machine.busyMs + machine.idleMs + machine.stealMs
  const share = (ms: number) => `${((100 * ms) / totalMs).toFixed(0)}%`
  const requests = Math.max(1, measured.load.requests)
  const us = (ms: number) => ((ms * 1000) / requests).toFixed(0)
  const servers = measured.allServersCpuMs
  const split = servers === undefined
    ? ""
    : `: servers ${us(servers)}` +
      (measured.followerCpuMs === undefined ? "" : ` (leader ${us(measured.serverCpuMs ?? 0)}, followers ${us(measured.followerCpuMs)} each)`) +
      `, everything else (load generator, kernel threads) ${us(Math.max(0, machine.busyMs - servers))}`
  const ceiling = (measured.load.perSecond * (machine.busyMs + machine.idleMs)) / machine.busyMs
  return `machine during ${phase} (${cpus} CPUs x ${(totalMs / cpus / 1000).toFixed(1)} s): busy ${share(machine.busyMs)}, ` +
    `idle ${share(machine.idleMs)}, stolen by the host ${share(machine.stealMs)}; CPU per request ${us(machine.busyMs)} µs${split}; ` +
    `at that cost the CPU the host left would carry at most ${ceiling.toFixed(0)}/s`
}

const median = (values: ReadonlyArray<number>): number => {
  const sorted = [...values].sort((a, b) => a - b)
  const middle = sorted.length >> 1
  return sorted.length === 0 ? Number.NaN : sorted.length % 2 === 1 ? sorted[middle]! : (sorted[middle - 1]! + sorted[middle]!) / 2
}

const resultsTable = (report: Report): string => {
  const rows = [
    loadRow("writes (leader)", report.writes, `>= ${TARGET.writesPerSecond}/s, p99 < ${TARGET.p99Ms}`, ETCD.writes),
    loadRow("linearizable reads", report.reads, `>= ${TARGET.readsPerSecond}/s, p99 < ${TARGET.p99Ms}`, ETCD.reads),
    ...(report.baseline === undefined ? [] : [loadRow("bare node:http", report.baseline, "-", ETCD.bareHttp)])
  ]
  return table(["phase", "req/s", "p50 ms", "p99 ms", "max ms", "failed", "CPU ms/req", "follower CPU ms/req", "target", "etcd 3.4"], rows)
}

const failoverLines = (failovers: ReadonlyArray<FailoverResult>): Array<string> => {
  if (failovers.length === 0) return ["failover: not measured (--failovers 0)"]
  const ms = failovers.map((f) => f.ms)
  const outcomes: Record<string, number> = {}
  for (const f of failovers) for (const [outcome, n] of Object.entries(f.outcomes)) outcomes[outcome] = (outcomes[outcome] ?? 0) + n
  return [
    `failover (SIGKILL leader -> first write OK via a survivor), ${ms.length} rounds: ` +
    `median ${median(ms).toFixed(0)} ms, min ${Math.min(...ms).toFixed(0)} ms, max ${Math.max(...ms).toFixed(0)} ms ` +
    `[${ms.map((m) => m.toFixed(0)).join(", ")}]; target < ${TARGET.failoverMedianMs} ms, etcd ${ETCD.failover}`,
    `  write attempts before success (one per survivor every ${PROBE_EVERY_MS} ms, ${PROBE_TIMEOUT_MS} ms timeout), all rounds: ${JSON.stringify(outcomes)}`
  ]
}

const categoriesOnly = (costs: ReadonlyArray<Cost>) =>
  costs.map((cost) => `  ${cost.percent.toFixed(1).padStart(5)}%  ${cost.label}`).join("\n")

const profileSection = (phase: ProfiledPhase): string => [
  `== CPU profile, ${phase.load.perSecond.toFixed(0)} req/s under --cpu-prof: leader ${phase.leader}` +
  ` (${phase.windowed ? "load window only" : "whole process: the load window could not be located"})`,
  `   file: ${phase.profileFile}`,
  `   leader CPU (/proc) during the load: ${phase.leaderCpuMs === undefined ? "unknown" : `${phase.leaderCpuMs.toFixed(0)} ms` +
    ` = ${(phase.leaderCpuMs / Math.max(1, phase.load.requests)).toFixed(3)} ms/request`}; sampled "busy" below also counts time the` +
    " thread was runnable but descheduled by other processes",
  formatSummary(phase.leaderSummary),
  ...(phase.followerSummary === undefined
    ? []
    : [`a follower, self time by category (busy ${phase.followerSummary.busyMs.toFixed(0)} ms):`, categoriesOnly(phase.followerSummary.categories)])
].join("\n")

export const formatReport = (report: Report): string => {
  const writesPerFsync = report.leaderFsyncs === 0 ? "n/a" : (report.writes.load.requests / report.leaderFsyncs).toFixed(1)
  return [
    "",
    `troupe KV benchmark: 3 nodes on 127.0.0.1-3, load by ${report.tool}, ${report.options.threads} threads x ` +
    `${report.options.connections} keep-alive connections, ${report.options.durationS} s per phase (writes after ${report.options.warmupS} s of unmeasured writes)`,
    `machine: ${report.machine.cpus} CPUs, load average ${report.machine.loadAverage.map((l) => l.toFixed(2)).join(" ")} (shared: numbers are noisy), node ${report.machine.node}`,
    `disk: append+fdatasync p50 ${report.fsync.p50Ms.toFixed(2)} ms, p99 ${report.fsync.p99Ms.toFixed(2)} ms (${report.fsync.rounds} rounds)`,
    "",
    resultsTable(report),
    "CPU ms/req: user+system CPU of the server process (/proc) per request: the cost that contention does not inflate.",
    "",
    `leader group commit during writes: ${report.leaderFsyncs} fsync batches, ${writesPerFsync} writes per fsync`,
    machineLine("writes", report.writes, report.machine.cpus),
    machineLine("reads", report.reads, report.machine.cpus),
    ...(report.baseline === undefined ? [] : [machineLine("bare node:http", report.baseline, report.machine.cpus)]),
    trafficLine("writes", report.writes),
    trafficLine("reads", report.reads),
    ...failoverLines(report.failovers),
    "",
    ...report.profiles.map(profileSection)
  ].join("\n")
}
