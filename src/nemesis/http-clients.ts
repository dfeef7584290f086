/**
 * The nemesis's raw-HTTP clients: each keeps one keep-alive connection (bound to its own
 * loopback source address, so partitions between nodes never cut a client off), sends
 * `GET /KEY` or `GET /KEY=VALUE`, and retries one operation on other nodes until its deadline.
 * A write carries (client id, seq), so a retry elsewhere is applied once and answers with the
 * real old value. Every attempt is logged; the operation goes into the history once.
 */
import * as http from "node:http"
import { Duration, Effect } from "effect"
import type { Operation } from "../check/history.js"
import { httpGet } from "../client/http-get.js"
import { kvPath } from "../client/kv-client.js"
import type { Prng } from "../sim/random.js"
import type { AttemptOutcome } from "./attempts.js"
import type { NodeAddress } from "../process/cluster.js"
import type { RunRecorder } from "./recorder.js"

export interface ClientContext {
  readonly nodes: ReadonlyArray<NodeAddress>
  readonly keys: number
  readonly maxThinkMs: number
  readonly operationDeadlineMs: number
  readonly requestTimeout: Duration.Duration
  readonly retryBase: Duration.Duration
  readonly recorder: RunRecorder
  /** Unique per run, so (client id, seq) pairs never repeat across runs against one data dir. */
  readonly runId: string
}

export interface Invocation {
  readonly kind: "get" | "put"
  readonly key: string
  readonly value: string
}

/** `KEY=VALUE` / `KEY=NIL` -> the value (null for NIL), or undefined if the answer is not that. */
export const parseAnswer = (key: string, body: string): string | null | undefined => {
  const text = body.trim()
  if (!text.startsWith(`${key}=`)) return undefined
  const value = text.slice(key.length + 1)
  return value === "NIL" ? null : value
}

export const nextInvocation = (prng: Prng, client: string, seq: number, keys: number): Invocation => ({
  kind: prng.chance(0.5) ? "get" : "put",
  key: `k${prng.nextIntBetween(0, keys - 1)}`,
  value: `${client}-${seq}`
})

/** The history line for an operation, given its final outcome. */
export const historyLine = (
  client: string,
  invocation: Invocation,
  callMs: number,
  outcome: { readonly _tag: "ok"; readonly output: string | null; readonly retMs: number } | { readonly _tag: "failed"; readonly retMs: number } | { readonly _tag: "unknown" }
): Operation => {
  const base = { client, op: invocation.kind, key: invocation.key, call: callMs, ...(invocation.kind === "put" ? { value: invocation.value } : {}) }
  switch (outcome._tag) {
    case "ok":
      return { ...base, output: outcome.output, ret: outcome.retMs, ok: true }
    case "failed":
      return { ...base, ret: outcome.retMs, ok: false }
    case "unknown":
      // A read that got no answer had no effect; a write may have.
      return invocation.kind === "get" ? { ...base, ret: null, ok: false } : { ...base, ret: null, ok: null }
  }
}

const leaderHint = (headers: http.IncomingHttpHeaders, nodes: ReadonlyArray<NodeAddress>): number | undefined => {
  const header = headers["x-troupe-leader"]
  const found = typeof header === "string" ? nodes.find((node) => node.id === header) : undefined
  return found?.index
}

type AttemptResult =
  | { readonly outcome: "ok"; readonly output: string | null }
  | { readonly outcome: Exclude<AttemptOutcome, "ok">; readonly next?: number | undefined }

const attemptOnce = (context: ClientContext, agent: http.Agent, node: NodeAddress, path: string, headers: Record<string, string>, key: string) =>
  Effect.map(Effect.either(httpGet(node, path, { timeout: context.requestTimeout, headers, agent })), (answer): AttemptResult => {
    if (answer._tag === "Left") {
      return { outcome: answer.left.reason.startsWith("no answer within") ? "timeout" : "unreachable" }
    }
    const { status, body } = answer.right
    if (status === 200) {
      const output = parseAnswer(key, body)
      if (output !== undefined) return { outcome: "ok", output }
      context.recorder.malformedAnswers++
      return { outcome: "unavailable" }
    }
    if (status >= 400 && status < 500) return { outcome: "rejected" }
    return { outcome: "unavailable", next: leaderHint(answer.right.headers, context.nodes) }
  })

/** One operation, attempted on node after node until it succeeds, is rejected, or the deadline. */
const perform = (context: ClientContext, agent: http.Agent, client: string, seq: number, invocation: Invocation, start: number) =>
  Effect.gen(function*() {
    const { recorder, nodes } = context
    const path = kvPath(invocation.key, invocation.kind === "put" ? invocation.value : undefined)
    const headers: Record<string, string> = invocation.kind === "put"
      ? { "x-troupe-client": `${context.runId}-${client}`, "x-troupe-seq": String(seq) }
      : {}
    const call = yield* recorder.now
    let node = start
    // Bounded by the deadline; every failed attempt waits retryBase or its own timeout.
    while ((yield* recorder.now) - call < context.operationDeadlineMs) {
      const target = nodes[node]!
      const startMs = yield* recorder.now
      const result = yield* attemptOnce(context, agent, target, path, headers, invocation.key)
      const endMs = yield* recorder.now
      recorder.attempt({ client, kind: invocation.kind === "get" ? "read" : "write", node: target.id, startMs, endMs, outcome: result.outcome })
      if (result.outcome === "ok") {
        return recorder.record(historyLine(client, invocation, call, { _tag: "ok", output: result.output, retMs: endMs }))
      }
      if (result.outcome === "rejected") {
        return recorder.record(historyLine(client, invocation, call, { _tag: "failed", retMs: endMs }))
      }
      node = result.next !== undefined && result.next !== node ? result.next : (node + 1) % nodes.length
      yield* Effect.sleep(context.retryBase)
    }
    recorder.record(historyLine(client, invocation, call, { _tag: "unknown" }))
  })

/** One raw-HTTP client until `stopAtMs` on the run's clock. */
export const httpClientLoop = (context: ClientContext, client: string, prng: Prng, localAddress: string, stopAtMs: number) =>
  Effect.acquireUseRelease(
    Effect.sync(() => new http.Agent({ keepAlive: true, maxSockets: 1, localAddress } as http.AgentOptions)),
    (agent) =>
      Effect.gen(function*() {
        // Bounded by the run's end and by the history's capacity.
        for (let seq = 1; (yield* context.recorder.now) < stopAtMs && !context.recorder.full; seq++) {
          yield* Effect.sleep(Duration.millis(prng.nextIntBetween(0, context.maxThinkMs)))
          // Any node, every time: followers forward, and a fault on any node meets traffic.
          const first = prng.nextIntBetween(0, context.nodes.length - 1)
          yield* perform(context, agent, client, seq, nextInvocation(prng, client, seq, context.keys), first)
        }
      }),
    (agent) => Effect.sync(() => agent.destroy())
  )
