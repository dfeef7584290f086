/**
 * `Compute`: the stateless compute actors as a service. It validates input against
 * `config.compute` on the calling thread, runs the pure handlers on the worker pool, and, when
 * a `ComputeBroker` is provided and the local pool is saturated, offers the call to a peer
 * first (Lab03's broker: the caller just gets the answer).
 */
import { Context, Effect, Layer, Option, type Scope, Stream } from "effect"
import type { ComputeOp } from "../../actors/compute.js"
import type { GcdRequest, GcdResponse } from "../../actors/gcd/index.js"
import type { IsPrimeResponse } from "../../actors/prime/index.js"
import type { ReverseRequest, ReverseResponse, SplitRequest, SplitResponse } from "../../actors/text/index.js"
import type { TroupeConfig } from "../../config/schema.js"
import type { ComputeInput, ComputeOutput } from "./call.js"
import type { ComputeError } from "./errors.js"
import { checkText, parseInteger } from "./input.js"
import { makeWorkerPool, type PoolStats } from "./pool.js"

export interface ComputeShape {
  /** `config.compute`, for front doors that check request sizes. */
  readonly limits: TroupeConfig["compute"]
  readonly isPrime: (request: { readonly n: string }) => Effect.Effect<IsPrimeResponse, ComputeError>
  /** Answers in input order; up to `compute.workers` numbers are tested at once. */
  readonly isPrimeStream: <E, R>(numbers: Stream.Stream<string, E, R>) => Stream.Stream<IsPrimeResponse, ComputeError | E, R>
  readonly gcd: (request: GcdRequest) => Effect.Effect<GcdResponse, ComputeError>
  readonly reverse: (request: ReverseRequest) => Effect.Effect<ReverseResponse, ComputeError>
  readonly split: (request: SplitRequest) => Effect.Effect<SplitResponse, ComputeError>
  /** Runs a validated call on THIS node's pool, never forwarding (for calls a peer forwarded). */
  readonly runLocal: <Op extends ComputeOp>(op: Op, input: ComputeInput<Op>) => Effect.Effect<ComputeOutput<Op>, ComputeError>
  readonly stats: Effect.Effect<PoolStats>
  /** Waits until every worker has started once. */
  readonly ready: Effect.Effect<void>
  /** True when a new call would wait for a local worker. */
  readonly saturated: Effect.Effect<boolean>
}

export class Compute extends Context.Tag("troupe/Compute")<Compute, ComputeShape>() {}

export interface ComputeBrokerShape {
  /**
   * Runs the call on a peer with spare capacity. `None` when no peer can take it (then the
   * call runs locally, waiting in the queue or failing with Busy).
   */
  readonly offload: <Op extends ComputeOp>(op: Op, input: ComputeInput<Op>) => Effect.Effect<Option.Option<ComputeOutput<Op>>, ComputeError>
}

/** Optional. Without it every call runs on the local pool. The node wires it to its Transport. */
export class ComputeBroker extends Context.Tag("troupe/ComputeBroker")<ComputeBroker, ComputeBrokerShape>() {}

export interface ComputeOptions {
  readonly config: TroupeConfig
  /** Worker entry override (tests use a fixture worker with extra handlers). */
  readonly entry?: URL
  readonly broker?: ComputeBrokerShape
}

export const makeCompute = (options: ComputeOptions): Effect.Effect<ComputeShape, never, Scope.Scope> =>
  Effect.gen(function* () {
    const limits = options.config.compute
    const pool = yield* makeWorkerPool({
      workers: limits.workers,
      callTimeout: limits.callTimeout,
      queueCapacity: limits.queueCapacity,
      restartDelay: options.config.runtime.restartBase,
      ...(options.entry === undefined ? {} : { entry: options.entry })
    })
    const broker = options.broker

    const dispatch = <Op extends ComputeOp>(op: Op, input: ComputeInput<Op>): Effect.Effect<ComputeOutput<Op>, ComputeError> =>
      broker === undefined
        ? pool.run(op, input)
        : Effect.gen(function* () {
            if (yield* pool.saturated) {
              // A peer's failure is no reason to fail a call this node can still queue.
              const remote = yield* broker.offload(op, input).pipe(Effect.orElseSucceed(() => Option.none()))
              if (Option.isSome(remote)) return remote.value
            }
            return yield* pool.run(op, input)
          })

    const isPrime = (request: { readonly n: string }) =>
      Effect.flatMap(parseInteger(request.n, limits), (n) => dispatch("isprime", { n }))

    return {
      limits,
      isPrime,
      isPrimeStream: (numbers) => Stream.mapEffect(numbers, (n) => isPrime({ n }), { concurrency: limits.workers }),
      gcd: (request) =>
        Effect.flatMap(
          Effect.all([parseInteger(request.a, limits), parseInteger(request.b, limits)]),
          ([a, b]) => dispatch("gcd", { a, b })
        ),
      reverse: (request) => Effect.flatMap(checkText(request.text, limits), (text) => dispatch("reverse", { text })),
      split: (request) =>
        Effect.flatMap(
          Effect.all([checkText(request.text, limits), checkText(request.delim ?? "", limits, "delimiter")]),
          () => dispatch("split", request)
        ),
      runLocal: (op, input) => pool.run(op, input),
      stats: pool.stats,
      ready: pool.ready,
      saturated: pool.saturated
    } satisfies ComputeShape
  })

/** The service with its pool; uses a `ComputeBroker` from the context when there is one. */
export const ComputeLive = (config: TroupeConfig): Layer.Layer<Compute> =>
  Layer.scoped(
    Compute,
    Effect.gen(function* () {
      const broker = yield* Effect.serviceOption(ComputeBroker)
      return yield* makeCompute(Option.isSome(broker) ? { config, broker: broker.value } : { config })
    })
  )
