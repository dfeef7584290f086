/**
 * Failover time: SIGKILL the leader, then the time until a write first succeeds through a
 * survivor (either one: a follower forwards to whichever node won). Then the killed node is
 * restarted on its data and the cluster left to settle before the next round.
 */
import { Duration, Effect } from "effect"
import type { TroupeConfig } from "../../config/schema.js"
import type { Cluster } from "./cluster.js"
import { BenchError } from "./errors.js"
import { httpGet } from "./http-probe.js"

/** A new write attempt goes to each survivor this often: the measurement's resolution. */
export const PROBE_EVERY_MS = 10
/**
 * Short on purpose: a follower holds a request it forwards to the dead leader until its own
 * forward timeout, and attempts stuck like that must not hide the first one that can succeed
 * (so new attempts keep starting while old ones hang).
 */
export const PROBE_TIMEOUT_MS = 1000
/** Enough for every attempt of the timeout window to be outstanding; a hard bound beyond that. */
const MAX_OUTSTANDING_PROBES = 2 * Math.ceil(PROBE_TIMEOUT_MS / PROBE_EVERY_MS) + 16
/** A failover slower than this is reported as a failure, not waited for. */
const GIVE_UP_AFTER = Duration.seconds(15)
const SETTLE_WITHIN = Duration.seconds(20)

/** How the write attempts of one round ended (HTTP status, "timeout", "error", or still "in flight"). */
export type ProbeOutcomes = Record<string, number>

export interface FailoverResult {
  readonly ms: number
  readonly outcomes: ProbeOutcomes
}

/** Resolves with performance.now() of the first 200 answer (undefined after `withinMs`) and how attempts ended. */
const firstSuccessfulWrite = (survivors: ReadonlyArray<string>, keyPrefix: string, withinMs: number) =>
  new Promise<{ at: number | undefined; outcomes: ProbeOutcomes }>((resolve) => {
    const started = performance.now()
    const outcomes: ProbeOutcomes = {}
    const count = (outcome: string) => {
      outcomes[outcome] = (outcomes[outcome] ?? 0) + 1
    }
    let attempt = 0
    let outstanding = 0
    let finished = false
    const finish = (at: number | undefined) => {
      if (finished) return
      finished = true
      clearInterval(timer)
      // Attempts still unanswered at the first success: a follower holding forwards to the dead leader.
      // (`outstanding` still counts the successful attempt here: its decrement runs after this.)
      const stillWaiting = outstanding - (at === undefined ? 0 : 1)
      if (stillWaiting > 0) outcomes["in flight"] = stillWaiting
      resolve({ at, outcomes })
    }
    const timer = setInterval(() => {
      if (performance.now() - started > withinMs) return finish(undefined)
      for (const survivor of survivors) {
        if (outstanding >= MAX_OUTSTANDING_PROBES) return
        outstanding++
        httpGet(survivor, `/${keyPrefix}-${attempt++}=after-failover`, PROBE_TIMEOUT_MS).then(
          (answer) => {
            if (!finished) count(String(answer.status))
            if (answer.status === 200) finish(performance.now())
          },
          (error: unknown) => {
            if (!finished) count(String(error).includes("no answer within") ? "timeout" : "error")
          }
        ).finally(() => outstanding--)
      }
    }, PROBE_EVERY_MS)
  })

/** One round: kill the settled leader, time the first successful write, restart the node. */
export const failoverRound = (cluster: Cluster, config: TroupeConfig, round: number): Effect.Effect<FailoverResult, BenchError> =>
  Effect.gen(function*() {
    const holdFor = Duration.times(config.raft.electionTimeoutMax, 2)
    const leader = yield* cluster.awaitStableLeader(SETTLE_WITHIN, holdFor)
    const leaderIndex = cluster.indexOf(leader)
    const survivors = cluster.addresses.filter((address) => address !== leader)
    const killedAt = performance.now()
    yield* cluster.kill(leaderIndex, "SIGKILL")
    const { at, outcomes } = yield* Effect.promise(() =>
      firstSuccessfulWrite(survivors, `failover-${round}`, Duration.toMillis(GIVE_UP_AFTER))
    )
    yield* cluster.start(leaderIndex)
    if (at === undefined) {
      return yield* new BenchError({ reason: `round ${round}: no write succeeded within ${Duration.format(GIVE_UP_AFTER)} of killing ${leader}` })
    }
    return { ms: at - killedAt, outcomes }
  })
