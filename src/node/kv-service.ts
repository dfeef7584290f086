/**
 * Serving KV requests on any node. The leader proposes writes through Raft and answers reads
 * after a ReadIndex round; a follower forwards the request to the leader over the peer link and
 * relays the answer. A forwarded request is never forwarded again (no loops between nodes that
 * disagree about the leader): the receiving node serves it or says it cannot.
 */
import { Data, Duration, Effect, Either, Exit, Schema } from "effect"
import type { NodeId } from "../config/servers.js"
import { isWrite, KvRequest, type KvResult, KvResult as KvResultSchema } from "../../actors/kv/commands.js"
import type { RaftRoleShape } from "../roles/raft-role.js"
import { NotLeader, type RaftUnavailable } from "../roles/raft-errors.js"
import { type KvLimits, requestProblem } from "../../actors/kv/validate.js"
import type { KvMachine } from "./kv-machine.js"
import { encodeCommand } from "./kv-machine.js"
import { ForwardFailed, type PeerCallsShape } from "./peer-calls.js"
import { decodeUnknownTotal } from "../wire/total-decode.js"

export { ForwardFailed }

export class BadRequest extends Data.TaggedError("BadRequest")<{ readonly reason: string }> {
  override get message(): string {
    return this.reason
  }
}

export type KvFailure = RaftUnavailable | ForwardFailed | BadRequest

export interface KvServiceShape {
  /** Serves a request here if leader, else through the leader. */
  readonly execute: (request: KvRequest) => Effect.Effect<KvResult, KvFailure>
  /**
   * The hot path without a fiber: if this node is the leader, serves the request and calls
   * `done` once (from the Raft loop) and answers true; else answers false and does nothing.
   */
  readonly executeNow: (request: KvRequest, done: (exit: Exit.Exit<KvResult, KvFailure>) => void) => boolean
  /** Serves a request forwarded by a peer: here or not at all. */
  readonly executeLocally: (request: KvRequest) => Effect.Effect<KvResult, KvFailure>
}

/** How many times a repeatable request is sent to the leader within `forwardTimeout`. */
const FORWARD_ATTEMPTS = 5

const decodeRequest = decodeUnknownTotal(Schema.parseJson(KvRequest))
const decodeResult = decodeUnknownTotal(Schema.parseJson(KvResultSchema))

export const makeKvService = (options: {
  readonly raft: RaftRoleShape
  readonly machine: KvMachine
  readonly peers: PeerCallsShape
  readonly forwardTimeout: Duration.Duration
  /** Key and value rules (DESIGN.md item 2), checked here for every door: HTTP, SDK, forwards. */
  readonly limits: KvLimits
}): KvServiceShape => {
  const { machine, peers, raft } = options

  const problemOf = (request: KvRequest): string | undefined => requestProblem(request, options.limits)
  const checked = <A>(request: KvRequest, serve: () => Effect.Effect<A, KvFailure>): Effect.Effect<A, KvFailure> => {
    const problem = problemOf(request)
    return problem === undefined ? serve() : Effect.fail(new BadRequest({ reason: problem }))
  }

  /** Serves an already checked request on this node. */
  const serveHere = (request: KvRequest): Effect.Effect<KvResult, KvFailure> =>
    isWrite(request)
      ? Effect.map(raft.propose(encodeCommand(request)), (result) => result as KvResult)
      : Effect.map(raft.linearizableRead, () => machine.query(request))

  const executeLocally = (request: KvRequest): Effect.Effect<KvResult, KvFailure> => checked(request, () => serveHere(request))

  /**
   * A Forward or its reply can be lost on the way: a request that is safe to repeat (a read, or
   * a write with a client id and seq, which the leader applies once) is sent again after a fifth
   * of the forward timeout; a plain write is sent once (at most once beats twice).
   */
  const attemptTimeout = Duration.millis(Duration.toMillis(options.forwardTimeout) / FORWARD_ATTEMPTS)
  const forward = (leader: NodeId, request: KvRequest) => {
    const repeatable = !isWrite(request) || (request.client !== undefined && request.seq !== undefined)
    const text = JSON.stringify(request)
    const once = peers.call(leader, "kv", text, repeatable ? attemptTimeout : options.forwardTimeout)
    const sent = repeatable
      ? once.pipe(Effect.retry({ times: FORWARD_ATTEMPTS - 1, while: (error) => error.timedOut === true }))
      : once
    return Effect.flatMap(sent, (body) =>
      Either.match(decodeResult(body), {
        onLeft: () => Effect.fail(new ForwardFailed({ peer: leader, status: 502, reason: "leader sent a malformed answer" })),
        onRight: Effect.succeed
      }))
  }

  const execute = (request: KvRequest): Effect.Effect<KvResult, KvFailure> =>
    checked(request, () => {
      const status = raft.statusNow()
      if (status.role === "leader") return serveHere(request)
      if (status.leader === null) return Effect.fail(new NotLeader({ leader: null }))
      return forward(status.leader, request)
    })

  const executeNow = (request: KvRequest, done: (exit: Exit.Exit<KvResult, KvFailure>) => void): boolean => {
    if (raft.statusNow().role !== "leader") return false
    const problem = problemOf(request)
    if (problem !== undefined) {
      done(Exit.fail(new BadRequest({ reason: problem })))
      return true
    }
    if (isWrite(request)) raft.proposeNow(encodeCommand(request), (exit) => done(Exit.map(exit, (result) => result as KvResult)))
    else raft.readNow((exit) => done(Exit.map(exit, () => machine.query(request))))
    return true
  }

  return { execute, executeLocally, executeNow }
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
