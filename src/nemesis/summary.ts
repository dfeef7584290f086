/**
 * The run's summary (summary.json) and the text report printed at the end. The report's last
 * line is the checker's verdict line, `linearizable: yes|NO|unknown`.
 */
import type { CheckResult } from "../check/checker.js"
import { formatReport } from "../check/report.js"
import type { ErrorCounts, FaultImpact, Percentiles, Unavailability } from "./analysis.js"
import type { NemesisSettings } from "./settings.js"

export interface NemesisSummary {
  readonly settings: NemesisSettings
  readonly nodes: ReadonlyArray<string>
  readonly partitions: { readonly available: boolean; readonly note: string }
  readonly impacts: ReadonlyArray<FaultImpact>
  readonly latencyMs: { readonly read: Percentiles; readonly write: Percentiles }
  readonly errors: ErrorCounts
  readonly malformedAnswers: number
  readonly attemptsNotStored: number
  readonly historyFull: boolean
  readonly check: {
    readonly verdict: CheckResult["verdict"]
    readonly staleReads: number
    readonly operations: number
    readonly keys: number
  }
  readonly files: Record<string, string>
}

const ms = (value: number | null): string => (value === null ? "-" : `${Math.round(value)}`)

const windowText = (u: Unavailability): string =>
  u.firstBadMs === null ? "no impact" : u.windowMs === null ? `failing from ${ms(u.firstBadMs)} ms, not recovered` : `${ms(u.windowMs)} ms`

const latencyLine = (name: string, p: Percentiles) =>
  `  ${name.padEnd(6)} n=${p.count}  p50=${ms(p.p50)}  p90=${ms(p.p90)}  p99=${ms(p.p99)}  max=${ms(p.max)} ms`

export const formatNemesisReport = (summary: NemesisSummary, check: CheckResult): string => {
  const lines = [
    `nemesis: ${summary.nodes.length} nodes (${summary.nodes.join(", ")}), ` +
    `${summary.settings.httpClients} HTTP + ${summary.settings.cliClients} CLI clients, ${summary.settings.durationMs / 1000} s, seed ${summary.settings.seed}`,
    `partitions: ${summary.partitions.available ? "iptables" : "SKIPPED"} (${summary.partitions.note})`,
    "faults (unavailability = first failed or stalled attempt to first good one):"
  ]
  for (const { fault, reads, writes } of summary.impacts) {
    const what = `#${fault.id} ${fault.kind.padEnd(9)} ${(fault.node ?? "-").padEnd(16)} ${ms(fault.startMs)}-${ms(fault.endMs)} ms`
    lines.push(fault.skipped !== undefined
      ? `  ${what}  skipped: ${fault.skipped}`
      : `  ${what}  writes: ${windowText(writes)}; reads: ${windowText(reads)}`)
  }
  if (summary.impacts.length === 0) lines.push("  (none: the run was too short for a fault)")
  const { attempts, operations } = summary.errors
  lines.push(
    "latency of completed operations:",
    latencyLine("read", summary.latencyMs.read),
    latencyLine("write", summary.latencyMs.write),
    `operations: ${operations.completed} completed, ${operations.failed} failed, ${operations.unknown} unknown outcome`,
    ...(["read", "write"] as const).map((kind) =>
      `attempts (${kind}): ` + Object.entries(attempts[kind]).map(([outcome, n]) => `${outcome} ${n}`).join(", ")),
    `malformed answers: ${summary.malformedAnswers}${summary.historyFull ? "; the history reached its limit" : ""}`,
    `files: ${Object.values(summary.files).join(", ")}`,
    formatReport(check)
  )
  return lines.join("\n")
}
