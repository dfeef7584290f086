/**
 * The failure detector role: pings every peer on a fixed schedule and marks a peer suspected
 * when nothing at all (ping, pong, or any Raft message) was heard from it within `suspectAfter`.
 * Its view is advisory (for /status, metrics and clients); Raft's safety never depends on it.
 */
import { Clock, Duration, Effect, Schedule } from "effect"
import type { NodeId } from "../config/servers.js"
import type { TransportShape } from "../net/Transport.js"

export interface PeerView {
  readonly reachable: boolean
  /** Null when never heard from. */
  readonly lastHeardMsAgo: number | null
  readonly rttMs: number | null
}

export interface FailureDetectorShape {
  /** Anything at all arrived from `peer` at `nowMs` (plain calls: the dispatcher runs them per message). */
  readonly heard: (peer: NodeId, nowMs: number) => void
  readonly onPong: (peer: NodeId, sentAtMs: number, nowMs: number) => void
  /** The answer to a Ping. */
  readonly onPing: (peer: NodeId, seq: number, sentAtMs: number) => Effect.Effect<void>
  readonly view: Effect.Effect<Readonly<Record<NodeId, PeerView>>>
  readonly run: Effect.Effect<never>
}

export const makeFailureDetector = (options: {
  readonly peers: ReadonlyArray<NodeId>
  readonly transport: TransportShape
  readonly heartbeatEvery: Duration.Duration
  readonly suspectAfter: Duration.Duration
}): FailureDetectorShape => {
  const lastHeardMs = new Map<NodeId, number>()
  const rttMs = new Map<NodeId, number>()
  const suspectAfterMs = Duration.toMillis(options.suspectAfter)
  let seq = 0

  const heard = (peer: NodeId, nowMs: number): void => {
    lastHeardMs.set(peer, nowMs)
  }

  const pingAll = Effect.gen(function*() {
    const now = yield* Clock.currentTimeMillis
    seq++
    for (const peer of options.peers) yield* options.transport.send(peer, { _tag: "Ping", seq, sentAtMs: now })
  })

  return {
    heard,
    onPing: (peer, pingSeq, sentAtMs) => options.transport.send(peer, { _tag: "Pong", seq: pingSeq, sentAtMs }),
    onPong: (peer, sentAtMs, nowMs) => {
      lastHeardMs.set(peer, nowMs)
      rttMs.set(peer, Math.max(0, nowMs - sentAtMs))
    },
    view: Effect.map(Clock.currentTimeMillis, (now) => {
      const view: Record<NodeId, PeerView> = {}
      for (const peer of options.peers) {
        const heardAt = lastHeardMs.get(peer)
        const ago = heardAt === undefined ? null : now - heardAt
        view[peer] = { reachable: ago !== null && ago < suspectAfterMs, lastHeardMsAgo: ago, rttMs: rttMs.get(peer) ?? null }
      }
      return view
    }),
    run: pingAll.pipe(Effect.repeat(Schedule.spaced(options.heartbeatEvery)), Effect.zipRight(Effect.never))
  }
}
