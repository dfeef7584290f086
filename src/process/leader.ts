/** Waiting for a leader that real node processes agree on, by polling their /status. */
import { Data, Duration, Effect } from "effect"
import type { NodeAddress, NodeStatus } from "./cluster.js"

export class NoLeader extends Data.TaggedError("NoLeader")<{ readonly reason: string }> {
  override get message(): string {
    return this.reason
  }
}

export interface LeaderWait {
  /** Nodes not asked (0-based), e.g. one that was just killed. */
  readonly exclude?: ReadonlyArray<number>
  /**
   * "majority" (default): a majority of the asked nodes name the leader in its term.
   * "every running node": every node whose process runs answers and names it, so a node just
   * restarted has caught up too (the bench measures only such a settled cluster).
   */
  readonly agreement?: "majority" | "every running node"
}

export interface PolledNodes {
  readonly nodes: ReadonlyArray<NodeAddress>
  readonly status: (index: number) => Effect.Effect<NodeStatus | undefined>
  readonly isRunning: (index: number) => boolean
}

const pollEvery = Duration.millis(20)

/** The highest-term node that says it leads, when at least `needed` of the answers name it in that term. */
const agreedLeader = (statuses: ReadonlyArray<NodeStatus | undefined>, needed: number): string | undefined => {
  const leader = statuses
    .filter((s): s is NodeStatus => s?.role === "leader")
    .sort((a, b) => b.term - a.term)[0]
  if (leader === undefined) return undefined
  const agreeing = statuses.filter((s) => s?.leader === leader.id && s.term === leader.term).length
  return agreeing >= needed ? leader.id : undefined
}

/** Polls every 20 ms until a leader has the agreement asked for; bounded by the timeout. */
export const pollForLeader = (
  polled: PolledNodes,
  timeout: Duration.DurationInput,
  wait: LeaderWait
): Effect.Effect<NodeAddress, NoLeader> =>
  Effect.gen(function*() {
    const { nodes, status, isRunning } = polled
    const exclude = wait.exclude ?? []
    const majority = Math.floor(nodes.length / 2) + 1
    for (;;) {
      // The running set changes under restarts, so it is read on every poll.
      const candidates = nodes.filter((node) =>
        !exclude.includes(node.index) && (wait.agreement !== "every running node" || isRunning(node.index)))
      const needed = wait.agreement === "every running node" ? candidates.length : Math.min(majority, candidates.length)
      const statuses = yield* Effect.forEach(candidates, (node) => status(node.index), { concurrency: "unbounded" })
      const leaderId = candidates.length === 0 ? undefined : agreedLeader(statuses, needed)
      const found = nodes.find((node) => node.id === leaderId)
      if (found !== undefined) return found
      yield* Effect.sleep(pollEvery)
    }
  }).pipe(
    Effect.timeoutFail({
      duration: timeout,
      onTimeout: () => new NoLeader({ reason: `no leader within ${Duration.format(Duration.decode(timeout))}` })
    })
  )
