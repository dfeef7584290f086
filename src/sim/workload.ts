/**
 * Simulated clients: each one loops over random KV operations on a few keys against random live
 * nodes and records a history in the checker's format (src/check). The outcome of a failed write
 * is recorded honestly: `ok: false` only when the write certainly had no effect, else `ok: null`.
 */
import { Clock, Duration, Effect } from "effect"
import type { KvRequest, KvResult } from "../../actors/kv/commands.js"
import type { Operation } from "../check/history.js"
import type { KvFailure } from "../node/kv-service.js"
import type { SimCluster } from "./cluster.js"
import type { Prng } from "./random.js"

export interface WorkloadOptions {
  readonly clients: number
  readonly keys: number
  /** A client gives up on one call after this long (the outcome is then unknown). */
  readonly callTimeout: Duration.Duration
  /** Upper bound of the random pause between two calls of one client. */
  readonly maxThinkMs: number
  /** Client names are `${prefix}${i}`: a (client, seq) pair must never be reused for another call. */
  readonly clientPrefix: string
}

type Kind = "get" | "put" | "del" | "cas"

const pickKind = (prng: Prng): Kind => {
  const roll = prng.nextFloat()
  return roll < 0.5 ? "get" : roll < 0.85 ? "put" : roll < 0.95 ? "cas" : "del"
}

/** Failures after which the write certainly did not happen (it never entered a log, or lost). */
const certainlyNoEffect = (error: KvFailure | "timeout"): boolean =>
  error !== "timeout" && (error._tag === "NotLeader" || error._tag === "RaftBusy" || error._tag === "Suspended" ||
    error._tag === "ProposalLost" || error._tag === "BadRequest")

const outputOf = (result: KvResult): string | null | undefined => {
  if (result._tag === "value") return result.value
  if (result._tag === "swapped") return String(result.swapped)
  return undefined
}

export class History {
  readonly operations: Array<Operation> = []
  /** Completed calls per client. */
  readonly completedBy = new Map<string, number>()
  completed = 0
  failed = 0
}

const requestFor = (kind: Kind, key: string, value: string, expect: string | null, client: string, seq: number): KvRequest => {
  switch (kind) {
    case "get":
      return { _tag: "get", key }
    case "put":
      return { _tag: "put", key, value, client, seq }
    case "del":
      return { _tag: "del", key, client, seq }
    case "cas":
      return { _tag: "cas", key, expect, value, client, seq }
  }
}

/** One client's loop, until `stopAtMs`. */
const clientLoop = (cluster: SimCluster, history: History, prng: Prng, clientIndex: number, options: WorkloadOptions, stopAtMs: number) =>
  Effect.gen(function*() {
    const client = `${options.clientPrefix}${clientIndex}`
    let seq = 0
    let lastWritten: string | null = null
    while ((yield* Clock.currentTimeMillis) < stopAtMs) {
      yield* Effect.sleep(Duration.millis(prng.nextIntBetween(0, options.maxThinkMs)))
      const live = cluster.ids.filter((id) => cluster.isUp(id))
      if (live.length === 0) continue
      const node = live[prng.nextIntBetween(0, live.length - 1)]!
      const kind = pickKind(prng)
      const key = `k${prng.nextIntBetween(0, options.keys - 1)}`
      const value = `${client}-${++seq}`
      const expect = prng.chance(0.5) ? lastWritten : null
      const replica = cluster.replica(node)
      if (replica === undefined) continue
      const call = yield* Clock.currentTimeMillis
      const outcome = yield* replica.kv.execute(requestFor(kind, key, value, expect, client, seq)).pipe(
        Effect.timeoutFail({ duration: options.callTimeout, onTimeout: () => "timeout" as const }),
        Effect.either
      )
      const ret = yield* Clock.currentTimeMillis
      const base = {
        client, op: kind, key, call,
        ...(kind === "put" || kind === "cas" ? { value } : {}),
        ...(kind === "cas" ? { expect } : {})
      }
      if (outcome._tag === "Right" && outcome.right._tag !== "refused") {
        history.completed++
        history.completedBy.set(client, (history.completedBy.get(client) ?? 0) + 1)
        if (kind !== "get") lastWritten = value
        history.operations.push({ ...base, output: outputOf(outcome.right) ?? null, ret, ok: true })
        continue
      }
      history.failed++
      if (kind === "get") continue // a failed read constrains nothing
      const noEffect = outcome._tag === "Right" || certainlyNoEffect(outcome.left)
      history.operations.push({ ...base, ret: noEffect ? ret : null, ok: noEffect ? false : null })
    }
  })

/** Runs `clients` concurrent clients until `stopAtMs`, filling `history`. */
export const runWorkload = (cluster: SimCluster, history: History, prng: Prng, options: WorkloadOptions, stopAtMs: number) =>
  Effect.forEach(
    Array.from({ length: options.clients }, (_, i) => i),
    (i) => clientLoop(cluster, history, prng.fork(`client${i}`), i, options, stopAtMs),
    { concurrency: "unbounded", discard: true }
  )
