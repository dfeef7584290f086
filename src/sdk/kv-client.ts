/**
 * The typed KV SDK: an Effect API (`makeKvClient`) and a Promise API (`connectKv`) over the
 * nodes' /rpc endpoints. It discovers the leader from the hints nodes give, retries on leader
 * change with a Schedule, and gives every write a (client id, seq) so a retried write is applied
 * exactly once. Errors are typed: `KvError` from the cluster, `KvUnreachable` when no node answered.
 */
import * as FetchHttpClient from "@effect/platform/FetchHttpClient"
import { RpcClient, type RpcClientError, RpcSerialization } from "@effect/rpc"
import * as crypto from "node:crypto"
import { Cause, Data, Duration, Effect, Exit, Layer, ManagedRuntime, Schedule, Scope } from "effect"
import type { KvRequest, KvResult } from "../../actors/kv/commands.js"
import type { TroupeConfig } from "../../config/schema.js"
import { defaultConfig } from "../config/load.js"
import { KvError, KvRpcs } from "./kv-rpcs.js"
import { cappedExponential } from "../runtime/backoff.js"

export class KvUnreachable extends Data.TaggedError("KvUnreachable")<{ readonly message: string }> {}

export interface KvClientOptions {
  /** Nodes as host:port; any node serves any call (followers forward to the leader). */
  readonly hosts: ReadonlyArray<string>
  readonly config?: TroupeConfig["client"]
  /** Identity for exactly-once writes; random by default. */
  readonly clientId?: string
}

type Client = RpcClient.RpcClient<import("@effect/rpc").RpcGroup.Rpcs<typeof KvRpcs>, RpcClientError.RpcClientError>

export interface KvClient {
  readonly get: (key: string) => Effect.Effect<string | null, KvError | KvUnreachable>
  /** Sets the key; answers the old value. */
  readonly put: (key: string, value: string) => Effect.Effect<string | null, KvError | KvUnreachable>
  readonly del: (key: string) => Effect.Effect<string | null, KvError | KvUnreachable>
  /** Sets `value` (null deletes) only if the current value is `expect` (null = absent). */
  readonly cas: (key: string, expect: string | null, value: string | null) => Effect.Effect<boolean, KvError | KvUnreachable>
  readonly size: Effect.Effect<number, KvError | KvUnreachable>
  readonly keys: (prefix?: string) => Effect.Effect<ReadonlyArray<string>, KvError | KvUnreachable>
  /** Has this client's write number `seq` been applied? */
  readonly verify: (seq: number) => Effect.Effect<boolean, KvError | KvUnreachable>
  /** The seq the next write will carry. */
  readonly nextSeq: () => number
}

const clientFor = (host: string) =>
  Effect.gen(function*() {
    const scope = yield* Effect.scope
    const context = yield* Layer.buildWithScope(
      RpcClient.layerProtocolHttp({ url: `http://${host}/rpc` }).pipe(
        Layer.provide([FetchHttpClient.layer, RpcSerialization.layerNdjson])
      ),
      scope
    )
    return yield* RpcClient.make(KvRpcs).pipe(Effect.provide(context))
  })

class Retry extends Data.TaggedError("Retry")<{ readonly problem: string }> {}

export const makeKvClient = (options: KvClientOptions): Effect.Effect<KvClient, never, Scope.Scope> =>
  Effect.gen(function*() {
    const config = options.config ?? defaultConfig().client
    if (options.hosts.length === 0) return yield* Effect.dieMessage("makeKvClient: no hosts given")
    const clients = new Map<string, Client>()
    for (const host of options.hosts) clients.set(host, yield* clientFor(host))
    const clientId = options.clientId ?? crypto.randomBytes(9).toString("base64url")
    let seq = 0
    let preferred = 0

    const attempt = (request: KvRequest) => Effect.gen(function*() {
      const host = options.hosts[preferred]!
      const answer = yield* clients.get(host)!.Kv({ request }).pipe(
        Effect.timeoutFail({ duration: config.requestTimeout, onTimeout: () => new Retry({ problem: `${host}: no answer in time` }) }),
        Effect.catchTag("RpcClientError", (error) => Effect.fail(new Retry({ problem: `${host}: ${error.message}` })))
      )
      return answer
    }).pipe(
      Effect.tapError((error) => Effect.sync(() => {
        const hinted = error._tag === "KvError" && error.leader !== null ? options.hosts.indexOf(error.leader) : -1
        preferred = hinted >= 0 ? hinted : (preferred + 1) % options.hosts.length
      }))
    )

    const retrying = cappedExponential(config.retryBase, config.retryMax).pipe(
      Schedule.whileInput((error: KvError | Retry) => error._tag === "Retry" || error.reason !== "BadRequest")
    )

    const call = (request: KvRequest): Effect.Effect<KvResult, KvError | KvUnreachable> =>
      attempt(request).pipe(
        Effect.retry(retrying),
        Effect.timeoutFail({
          duration: config.totalTimeout,
          onTimeout: () => new KvUnreachable({ message: `no node answered within ${Duration.format(config.totalTimeout)}` })
        }),
        Effect.catchTag("Retry", (error) => Effect.fail(new KvUnreachable({ message: error.problem })))
      )

    const valueOf = (result: KvResult) => (result._tag === "value" ? Effect.succeed(result.value) : refused(result))
    const refused = (result: KvResult) =>
      Effect.fail(new KvError({ reason: "BadRequest", message: result._tag === "refused" ? result.reason : `unexpected ${result._tag}`, leader: null }))
    const write = () => ({ client: clientId, seq: ++seq })

    return {
      get: (key) => Effect.flatMap(call({ _tag: "get", key }), valueOf),
      put: (key, value) => Effect.flatMap(call({ _tag: "put", key, value, ...write() }), valueOf),
      del: (key) => Effect.flatMap(call({ _tag: "del", key, ...write() }), valueOf),
      cas: (key, expect, value) =>
        Effect.flatMap(call({ _tag: "cas", key, expect, value, ...write() }), (result) =>
          result._tag === "swapped" ? Effect.succeed(result.swapped) : refused(result)),
      size: Effect.flatMap(call({ _tag: "size" }), (result) => (result._tag === "count" ? Effect.succeed(result.count) : refused(result))),
      keys: (prefix = "") =>
        Effect.flatMap(call({ _tag: "keys", prefix }), (result) => (result._tag === "keys" ? Effect.succeed(result.keys) : refused(result))),
      verify: (writeSeq) =>
        Effect.flatMap(call({ _tag: "verify", client: clientId, seq: writeSeq }), (result) =>
          result._tag === "applied" ? Effect.succeed(result.applied) : refused(result)),
      nextSeq: () => seq + 1
    }
  })

/** The Promise API: `const kv = await connectKv({ hosts }); await kv.put("a", "1"); await kv.close()`. */
export const connectKv = async (options: KvClientOptions) => {
  const runtime = ManagedRuntime.make(Layer.empty)
  const scope = await runtime.runPromise(Scope.make())
  const client = await runtime.runPromise(Scope.extend(makeKvClient(options), scope))
  // Rejects with the typed error itself (KvError / KvUnreachable), not a FiberFailure wrapper.
  const run = async <A>(effect: Effect.Effect<A, KvError | KvUnreachable>): Promise<A> => {
    const exit = await runtime.runPromiseExit(effect)
    if (Exit.isSuccess(exit)) return exit.value
    throw Cause.squash(exit.cause)
  }
  return {
    get: (key: string) => run(client.get(key)),
    put: (key: string, value: string) => run(client.put(key, value)),
    del: (key: string) => run(client.del(key)),
    cas: (key: string, expect: string | null, value: string | null) => run(client.cas(key, expect, value)),
    size: () => run(client.size),
    keys: (prefix?: string) => run(client.keys(prefix)),
    verify: (seq: number) => run(client.verify(seq)),
    close: async (): Promise<void> => {
      await runtime.runPromise(Scope.close(scope, Exit.void))
      await runtime.dispose()
    }
  }
}
