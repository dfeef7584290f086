/**
 * The KV client behind `troupe-client` and `troupe kv`: picks a node, remembers the leader a node
 * names in `X-Troupe-Leader`, and fails over to the next node on a network error or a 503 until
 * a total deadline. Writes carry (client id, seq) so a write retried on another node applies once.
 */
import { Data, Duration, Effect, Schedule } from "effect"
import { formatAddress } from "../config/servers.js"
import { httpGet, type HttpAnswer } from "./http-get.js"
import { cappedExponential } from "../runtime/backoff.js"

export interface NodeAddress {
  readonly host: string
  readonly port: number
}

export interface KvClientOptions {
  readonly nodes: ReadonlyArray<NodeAddress>
  readonly requestTimeout: Duration.DurationInput
  readonly totalTimeout: Duration.DurationInput
  readonly retryBase: Duration.DurationInput
  readonly retryMax: Duration.DurationInput
  /** Tried first: the leader remembered from an earlier call, if any. */
  readonly preferred?: NodeAddress | undefined
}

export class KvClientError extends Data.TaggedError("KvClientError")<{
  readonly reason: string
  /** 4xx: the request itself is wrong; retrying elsewhere cannot help. */
  readonly final: boolean
}> {
  override get message(): string {
    return this.reason
  }
}

export interface KvAnswer {
  readonly body: string
  readonly servedBy: NodeAddress
  readonly leader: NodeAddress | undefined
}

const parseLeader = (answer: HttpAnswer): NodeAddress | undefined => {
  const header = answer.headers["x-troupe-leader"]
  if (typeof header !== "string") return undefined
  const match = /^\[?([^\]]+?)\]?:(\d+)$/.exec(header)
  return match === null ? undefined : { host: match[1]!, port: Number(match[2]) }
}

const same = (a: NodeAddress, b: NodeAddress) => a.host === b.host && a.port === b.port

/** The order to try nodes in: the preferred one first, then the rest as given. */
export const tryOrder = (nodes: ReadonlyArray<NodeAddress>, preferred: NodeAddress | undefined) =>
  preferred === undefined ? [...nodes] : [preferred, ...nodes.filter((node) => !same(node, preferred))]

const stripError = (body: string) => body.replace(/^ERROR:\s*/, "").trim()

/** Sends `path` (already percent-encoded) to the cluster until one node gives a final answer. */
export const kvCall = (
  options: KvClientOptions,
  path: string,
  headers: Record<string, string> = {}
): Effect.Effect<KvAnswer, KvClientError> =>
  Effect.gen(function*() {
    let preferred = options.preferred
    let lastProblem = "no node was tried"
    const round = Effect.gen(function*() {
      for (const node of tryOrder(options.nodes, preferred)) {
        const answer = yield* Effect.either(httpGet(node, path, { timeout: options.requestTimeout, headers }))
        if (answer._tag === "Left") {
          lastProblem = answer.left.message
          continue
        }
        const leader = parseLeader(answer.right)
        if (answer.right.status === 200) return { body: answer.right.body, servedBy: node, leader }
        lastProblem = `${formatAddress(node.host, node.port)}: ${stripError(answer.right.body)}`
        if (answer.right.status >= 400 && answer.right.status < 500) {
          return yield* new KvClientError({ reason: stripError(answer.right.body), final: true })
        }
        if (leader !== undefined) preferred = leader
      }
      return yield* new KvClientError({ reason: lastProblem, final: false })
    })
    const backoff = cappedExponential(options.retryBase, options.retryMax).pipe(
      Schedule.whileInput((error: KvClientError) => !error.final)
    )
    return yield* round.pipe(
      Effect.retry(backoff),
      Effect.timeoutFail({
        duration: options.totalTimeout,
        onTimeout: () => new KvClientError({ reason: `no node answered in time (last: ${lastProblem})`, final: false })
      })
    )
  })

/** `/KEY` or `/KEY=VALUE`, percent-encoded. */
export const kvPath = (key: string, value?: string): string =>
  value === undefined ? `/${encodeURIComponent(key)}` : `/${encodeURIComponent(key)}=${encodeURIComponent(value)}`
