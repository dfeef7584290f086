/**
 * Serving KV requests on any node. The leader proposes writes through Raft and answers reads
 * after a ReadIndex round; a follower forwards the request to the leader over the peer link and
 * relays the answer. A forwarded request is never forwarded again (no loops between nodes that
 * disagree about the leader): the receiving node serves it or says it cannot.
 */
import { Data, Deferred, Duration, Effect, Either, Schema } from "effect"
import type { NodeId } from "../config/servers.js"
import type { TransportShape } from "../net/Transport.js"
import { isWrite, KvRequest, type KvResult, KvResult as KvResultSchema } from "../../actors/kv/commands.js"
import type { RaftRoleShape } from "../roles/raft-role.js"
import { NotLeader, type RaftUnavailable } from "../roles/raft-errors.js"
import type { KvMachine } from "./kv-machine.js"
import { encodeCommand } from "./kv-machine.js"

export class ForwardFailed extends Data.TaggedError("ForwardFailed")<{
  readonly leader: NodeId
  readonly reason: string
  /** The HTTP status the leader answered with, or 503 when it did not answer. */
  readonly status: number
}> {
  override get message(): string {
    return this.reason
  }
}

export class BadRequest extends Data.TaggedError("BadRequest")<{ readonly reason: string }> {
  override get message(): string {
    return this.reason
  }
}

export type KvFailure = RaftUnavailable | ForwardFailed | BadRequest

export interface KvServiceShape {
  /** Serves a request here if leader, else through the leader. */
  readonly execute: (request: KvRequest) => Effect.Effect<KvResult, KvFailure>
  /** Serves a request forwarded by a peer: here or not at all. */
  readonly executeLocally: (request: KvRequest) => Effect.Effect<KvResult, KvFailure>
  /** Called by the dispatcher when a ForwardReply arrives. */
  readonly completeForward: (requestId: number, ok: boolean, status: number, body: string) => Effect.Effect<void>
}

const decodeRequest = Schema.decodeUnknownEither(Schema.parseJson(KvRequest))
const decodeResult = Schema.decodeUnknownEither(Schema.parseJson(KvResultSchema))

export const makeKvService = (options: {
  readonly raft: RaftRoleShape
  readonly machine: KvMachine
  readonly transport: TransportShape
  readonly forwardTimeout: Duration.Duration
  readonly maxPendingForwards: number
}): KvServiceShape => {
  const { machine, raft, transport } = options
  const pendingForwards = new Map<number, Deferred.Deferred<KvResult, ForwardFailed>>()
  let nextForwardId = 1

  const executeLocally = (request: KvRequest): Effect.Effect<KvResult, KvFailure> =>
    isWrite(request)
      ? Effect.map(raft.propose(encodeCommand(request)), (result) => result as KvResult)
      : Effect.map(raft.linearizableRead, () => machine.query(request))

  const forward = (leader: NodeId, request: KvRequest) => Effect.gen(function*() {
    if (pendingForwards.size >= options.maxPendingForwards) {
      return yield* new ForwardFailed({ leader, status: 503, reason: "too many requests waiting for the leader" })
    }
    const requestId = nextForwardId++
    const done = yield* Deferred.make<KvResult, ForwardFailed>()
    pendingForwards.set(requestId, done)
    yield* transport.send(leader, { _tag: "Forward", requestId, actor: "kv", request: JSON.stringify(request) })
    return yield* Deferred.await(done).pipe(
      Effect.timeoutFail({
        duration: options.forwardTimeout,
        onTimeout: () => new ForwardFailed({
          leader, status: 503, reason: `leader ${leader} did not answer within ${Duration.format(options.forwardTimeout)}`
        })
      }),
      Effect.ensuring(Effect.sync(() => pendingForwards.delete(requestId)))
    )
  })

  const execute = (request: KvRequest): Effect.Effect<KvResult, KvFailure> =>
    Effect.gen(function*() {
      const status = yield* raft.status
      if (status.role === "leader") return yield* executeLocally(request)
      if (status.leader === null) return yield* new NotLeader({ leader: null })
      return yield* forward(status.leader, request)
    })

  const completeForward = (requestId: number, ok: boolean, status: number, body: string) =>
    Effect.suspend(() => {
      const done = pendingForwards.get(requestId)
      if (done === undefined) return Effect.void // late answer after a timeout
      if (!ok) return Deferred.fail(done, new ForwardFailed({ leader: "", status, reason: body }))
      return Either.match(decodeResult(body), {
        onLeft: () => Deferred.fail(done, new ForwardFailed({ leader: "", status: 502, reason: "leader sent a malformed answer" })),
        onRight: (result) => Deferred.succeed(done, result)
      })
    }).pipe(Effect.asVoid)

  return { execute, executeLocally, completeForward }
}

/** The status code and text a failure is reported with, over HTTP and over a forward. */
export const failureStatus = (error: KvFailure): number => {
  switch (error._tag) {
    case "BadRequest":
      return 400
    case "ForwardFailed":
      return error.status
    default:
      return 503
  }
}

/** Decodes a forwarded request body; malformed input is the sender's bug, answered with 400. */
export const parseForwarded = (body: string): Either.Either<KvRequest, BadRequest> =>
  Either.mapLeft(decodeRequest(body), () => new BadRequest({ reason: "malformed forwarded request" }))
