/**
 * Calling the compute actors of a cluster from outside: an Effect API with fail-over across
 * the given nodes (used by `troupe call`) and a plain Promise API (`computeClient`).
 *
 * A node that cannot be reached, or answers `Busy`, is skipped for the next one; any other
 * answer (a result, bad input, a timeout of the call itself) is final.
 */
import type { RpcClientError } from "@effect/rpc"
import { Data, Duration, Effect, ManagedRuntime, Stream } from "effect"
import type { GcdResponse } from "../../actors/gcd/index.js"
import type { IsPrimeResponse } from "../../actors/prime/index.js"
import type { SplitResponse } from "../../actors/text/index.js"
import type { TroupeConfig } from "../../config/schema.js"
import { defaultConfig } from "../config/load.js"
import type { ComputeError } from "./errors.js"
import { ComputeRpcClient, type ComputeRpcClientShape, computeRpcClientLayer, rpcUrlOf } from "./rpc.js"

export class ComputeUnreachable extends Data.TaggedError("ComputeUnreachable")<{ readonly message: string }> {}

type Attempt<A> = (client: ComputeRpcClientShape) => Effect.Effect<A, ComputeError | RpcClientError.RpcClientError>

const isRetryable = (error: ComputeError | RpcClientError.RpcClientError): boolean =>
  error._tag === "RpcClientError" || error.reason === "Busy"

/** How long one node may take: the call's own deadline plus the client's network allowance. */
const attemptTimeout = (config: TroupeConfig): Duration.Duration =>
  Duration.sum(config.compute.callTimeout, config.client.requestTimeout)

/**
 * Tries `hosts` in order, starting at `start`, with `clientOf(host)` giving each node's client.
 * Succeeds with the answer and the index of the node that gave it.
 */
export const callWithFailover = <A>(
  hosts: ReadonlyArray<string>,
  config: TroupeConfig,
  attempt: Attempt<A>,
  clientOf: (host: string) => <B, E>(use: (client: ComputeRpcClientShape) => Effect.Effect<B, E>) => Effect.Effect<B, E>,
  start = 0
): Effect.Effect<{ readonly value: A; readonly hostIndex: number }, ComputeError | ComputeUnreachable> =>
  Effect.gen(function* () {
    const problems: Array<string> = []
    for (let tried = 0; tried < hosts.length; tried++) {
      const hostIndex = (start + tried) % hosts.length
      const host = hosts[hostIndex]!
      const outcome = yield* clientOf(host)(attempt).pipe(
        Effect.map((value) => ({ _tag: "Answer" as const, value })),
        Effect.catchAll((error) =>
          Effect.succeed(isRetryable(error) ? { _tag: "NextNode" as const, problem: error.message } : { _tag: "Final" as const, error: error as ComputeError })
        ),
        Effect.timeoutTo({
          duration: attemptTimeout(config),
          onSuccess: (result) => result,
          onTimeout: () => ({ _tag: "NextNode" as const, problem: "no answer in time" })
        })
      )
      if (outcome._tag === "Answer") return { value: outcome.value, hostIndex }
      if (outcome._tag === "Final") return yield* Effect.fail(outcome.error)
      problems.push(`${host}: ${outcome.problem}`)
    }
    return yield* Effect.fail(new ComputeUnreachable({ message: `no node could serve the call (${problems.join("; ")})` }))
  })

/** A fresh client per call: right for one-shot use such as the CLI. */
export const oneShotClient = (host: string) => <B, E>(use: (client: ComputeRpcClientShape) => Effect.Effect<B, E>) =>
  Effect.flatMap(ComputeRpcClient, use).pipe(Effect.provide(computeRpcClientLayer(rpcUrlOf(host))))

export type IntegerLike = bigint | number | string

export interface ComputeClient {
  readonly isPrime: (n: IntegerLike) => Promise<IsPrimeResponse>
  /** The streaming form: answers in the order of `numbers`. */
  readonly isPrimeMany: (numbers: ReadonlyArray<IntegerLike>) => Promise<ReadonlyArray<IsPrimeResponse>>
  readonly gcd: (a: IntegerLike, b: IntegerLike) => Promise<GcdResponse>
  readonly reverse: (text: string) => Promise<string>
  readonly split: (text: string, delim?: string) => Promise<SplitResponse>
  readonly close: () => Promise<void>
}

/**
 * Promise API over the typed SDK. `hosts` are `host:port` of any nodes; the client keeps one
 * connection pool per node and remembers the node that answered last.
 */
export const computeClient = (options: { readonly hosts: ReadonlyArray<string>; readonly config?: TroupeConfig }): ComputeClient => {
  if (options.hosts.length === 0) throw new Error("computeClient: no hosts given")
  const config = options.config ?? defaultConfig()
  const runtimes = new Map<string, ManagedRuntime.ManagedRuntime<ComputeRpcClient, never>>()
  const runtimeOf = (host: string) => {
    let runtime = runtimes.get(host)
    if (runtime === undefined) {
      runtime = ManagedRuntime.make(computeRpcClientLayer(rpcUrlOf(host)))
      runtimes.set(host, runtime)
    }
    return runtime
  }
  const clientOf = (host: string) => <B, E>(use: (client: ComputeRpcClientShape) => Effect.Effect<B, E>) =>
    Effect.flatMap(runtimeOf(host).runtimeEffect, (runtime) => Effect.flatMap(ComputeRpcClient, use).pipe(Effect.provide(runtime)))
  let preferred = 0
  const run = <A>(attempt: Attempt<A>): Promise<A> =>
    Effect.runPromise(
      callWithFailover(options.hosts, config, attempt, clientOf, preferred).pipe(
        Effect.map(({ value, hostIndex }) => {
          preferred = hostIndex
          return value
        })
      )
    )
  return {
    isPrime: (n) => run((client) => client.IsPrime({ n: String(n) })),
    isPrimeMany: (numbers) =>
      run((client) => Stream.runCollect(client.IsPrimeStream({ numbers: numbers.map(String) }))).then((chunk) => Array.from(chunk)),
    gcd: (a, b) => run((client) => client.Gcd({ a: String(a), b: String(b) })),
    reverse: (text) => run((client) => client.Reverse({ text })).then((response) => response.text),
    split: (text, delim) => run((client) => client.Split(delim === undefined ? { text } : { text, delim })),
    close: async () => {
      await Promise.all(Array.from(runtimes.values(), (runtime) => runtime.dispose()))
      runtimes.clear()
    }
  }
}
