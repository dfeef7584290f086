/**
 * Safety invariants checked while a simulation runs (Raft paper, Figure 3):
 * - election safety: at most one leader per term;
 * - state machine safety (with log matching): every node applies the same entry at each index.
 * Violations are collected, not thrown, so a run reports every one with the time it happened.
 */
import type { NodeId } from "../config/servers.js"
import type { Entry } from "../raft/messages.js"

export interface Violation {
  readonly atMs: number
  readonly invariant: "election-safety" | "state-machine-safety"
  readonly detail: string
}

export class SafetyMonitor {
  private readonly leaders = new Map<number, NodeId>()
  private readonly applied = new Map<number, { readonly term: number; readonly data: string; readonly by: NodeId }>()
  readonly violations: Array<Violation> = []
  appliedEntries = 0

  leaderSeen(atMs: number, term: number, node: NodeId): void {
    const known = this.leaders.get(term)
    if (known === undefined) this.leaders.set(term, node)
    else if (known !== node) {
      this.violations.push({ atMs, invariant: "election-safety", detail: `term ${term} has two leaders: ${known} and ${node}` })
    }
  }

  entryApplied(atMs: number, node: NodeId, entry: Entry): void {
    this.appliedEntries++
    const first = this.applied.get(entry.index)
    if (first === undefined) {
      this.applied.set(entry.index, { term: entry.term, data: entry.data, by: node })
    } else if (first.term !== entry.term || first.data !== entry.data) {
      this.violations.push({
        atMs,
        invariant: "state-machine-safety",
        detail: `index ${entry.index}: ${first.by} applied term ${first.term} ${first.data.slice(0, 60)}, ` +
          `${node} applied term ${entry.term} ${entry.data.slice(0, 60)}`
      })
    }
  }

  get terms(): number {
    return this.leaders.size
  }

  get highestAppliedIndex(): number {
    let highest = 0
    for (const index of this.applied.keys()) highest = Math.max(highest, index)
    return highest
  }
}
