/**
 * The typed SDK of the compute actors: one `RpcGroup`, mounted by the node next to its other
 * groups (HTTP protocol at /rpc), and the handlers that serve it from `Compute`.
 */
import { NodeHttpClient } from "@effect/platform-node"
import { Rpc, RpcClient, type RpcClientError, RpcGroup, RpcSerialization } from "@effect/rpc"
import { Context, Effect, Layer, Stream } from "effect"
import { GcdRequest, GcdResponse } from "../../actors/gcd/index.js"
import { IsPrimeRequest, IsPrimeResponse, IsPrimeStreamRequest } from "../../actors/prime/index.js"
import { ReverseRequest, ReverseResponse, SplitRequest, SplitResponse } from "../../actors/text/index.js"
import { badInput, ComputeError } from "./errors.js"
import { Compute } from "./service.js"

export class ComputeRpcs extends RpcGroup.make(
  Rpc.make("IsPrime", { payload: IsPrimeRequest, success: IsPrimeResponse, error: ComputeError }),
  /** One answer per number, in the order given. */
  Rpc.make("IsPrimeStream", { payload: IsPrimeStreamRequest, success: IsPrimeResponse, error: ComputeError, stream: true }),
  Rpc.make("Gcd", { payload: GcdRequest, success: GcdResponse, error: ComputeError }),
  Rpc.make("Reverse", { payload: ReverseRequest, success: ReverseResponse, error: ComputeError }),
  Rpc.make("Split", { payload: SplitRequest, success: SplitResponse, error: ComputeError })
) {}

/** The handlers of `ComputeRpcs`; needs `Compute` (see `ComputeLive`). */
export const ComputeHandlersLive = ComputeRpcs.toLayer(
  Effect.gen(function* () {
    const compute = yield* Compute
    // One streaming request may hold as many numbers as the pool may queue.
    const maxNumbersPerStream = compute.limits.queueCapacity
    return {
      IsPrime: (request) => compute.isPrime(request),
      IsPrimeStream: (request) =>
        request.numbers.length > maxNumbersPerStream
          ? Stream.fail(badInput(`too many numbers: ${request.numbers.length}, the limit per request is ${maxNumbersPerStream}`))
          : compute.isPrimeStream(Stream.fromIterable(request.numbers)),
      Gcd: (request) => compute.gcd(request),
      Reverse: (request) => compute.reverse(request),
      Split: (request) => compute.split(request)
    }
  })
)

export type ComputeRpcClientShape = RpcClient.RpcClient<RpcGroup.Rpcs<typeof ComputeRpcs>, RpcClientError.RpcClientError>

export class ComputeRpcClient extends Context.Tag("troupe/ComputeRpcClient")<ComputeRpcClient, ComputeRpcClientShape>() {}

/**
 * A client of one node's /rpc endpoint, e.g. `http://127.0.0.1:8001/rpc`. Uses undici's
 * pooled keep-alive connections: measured 2-3x faster per call than global fetch here.
 */
export const computeRpcClientLayer = (url: string): Layer.Layer<ComputeRpcClient> =>
  Layer.scoped(ComputeRpcClient, RpcClient.make(ComputeRpcs)).pipe(
    Layer.provide(RpcClient.layerProtocolHttp({ url })),
    Layer.provide([NodeHttpClient.layerUndici, RpcSerialization.layerNdjson])
  )

/** The /rpc URL of a node given as `host:port`. */
export const rpcUrlOf = (hostPort: string): string => `http://${hostPort}/rpc`
