/**
 * One outbound link to one peer: a bounded send queue drained by a fiber that owns the socket.
 *
 * The link connects lazily (on the first queued message), bound to this node's own address,
 * reconnects on the reconnect Schedule after any failure, and writes the messages waiting in
 * the queue as corked batches (one writev per socket buffer's worth) to keep syscalls per
 * message low. Messages in
 * flight when a connection breaks are lost: Raft and the failure detector retransmit.
 */
import type * as net from "node:net"
import { type Duration, Effect, type Schedule, type Scope } from "effect"
import { makeMailbox } from "../runtime/mailbox.js"
import type { NodeId } from "../config/servers.js"
import { encodeFrame, type FrameKey } from "../wire/frame.js"
import type { PeerMessage } from "../wire/messages.js"
import { PEER_PREAMBLE } from "../wire/preamble.js"
import { awaitClose, awaitDrain, connectSocket } from "./socket.js"

export interface PeerAddress {
  readonly id: NodeId
  readonly host: string
  readonly port: number
}

export interface PeerLinkOptions {
  readonly self: NodeId
  readonly selfHost: string
  readonly peer: PeerAddress
  readonly clusterId: string
  readonly key: FrameKey
  readonly maxFrameBytes: number
  readonly queueCapacity: number
  readonly reconnect: Schedule.Schedule<unknown>
  readonly connectTimeout: Duration.DurationInput
}

/** Counters shared by every link of a transport (plain numbers: JS runs one callback at a time). */
export interface LinkCounters {
  sentMessages: number
  sentBytes: number
  droppedQueueFull: number
  /** Encoded frame over config.wire.maxFrameBytes: never sent, the peer would drop the link. */
  droppedTooLarge: number
  /** Not a valid PeerMessage (a bug in the caller). */
  droppedInvalid: number
  /** Addressed to a node that is not a peer of this one. */
  droppedUnknownPeer: number
  connects: number
  connectFailures: number
  disconnects: number
}

export const emptyLinkCounters = (): LinkCounters => ({
  sentMessages: 0,
  sentBytes: 0,
  droppedQueueFull: 0,
  droppedTooLarge: 0,
  droppedInvalid: 0,
  droppedUnknownPeer: 0,
  connects: 0,
  connectFailures: 0,
  disconnects: 0
})

export interface PeerLink {
  readonly peer: NodeId
  /** Queues without waiting; false (and counted) when the queue is full. */
  readonly offer: (message: PeerMessage) => boolean
  readonly isConnected: () => boolean
  readonly queued: () => number
}

/**
 * Writes `batch` from `start` as one corked write, stopping once the socket's buffer is full.
 * Returns the index of the first message not yet written. Stopping there bounds the synchronous
 * encoding work per event-loop turn, so a long queue never starves timers and reads.
 */
const writeUntilFull = (
  socket: net.Socket,
  batch: ReadonlyArray<PeerMessage>,
  start: number,
  options: PeerLinkOptions,
  counters: LinkCounters
): number => {
  let next = start
  socket.cork()
  while (next < batch.length) {
    const message = batch[next++]!
    let frame: Buffer
    try {
      frame = encodeFrame({ clusterId: options.clusterId, from: options.self, to: options.peer.id, message }, options.key)
    } catch {
      counters.droppedInvalid++
      continue
    }
    if (frame.length > options.maxFrameBytes) {
      counters.droppedTooLarge++
      continue
    }
    socket.write(frame)
    counters.sentMessages++
    counters.sentBytes += frame.length
    if (socket.writableNeedDrain) break
  }
  socket.uncork()
  return next
}

/** Starts the link's writer fiber in the current scope; closing the scope closes the socket. */
export const makePeerLink = (options: PeerLinkOptions, counters: LinkCounters): Effect.Effect<PeerLink, never, Scope.Scope> =>
  Effect.gen(function*() {
    const queue = makeMailbox<PeerMessage>(options.queueCapacity)
    // Everything waiting (at least one): the queue bound is the batch bound.
    const takeBatch = queue.takeUpTo(options.queueCapacity)
    let connected = false
    const target = { host: options.peer.host, port: options.peer.port, localAddress: options.selfHost }

    const writeLoop = (socket: net.Socket, first: PeerMessage) =>
      Effect.gen(function*() {
        // A batch taken from the queue is at most queueCapacity long, so the link holds at most
        // twice that many messages: the queue, and the batch being written.
        let batch: ReadonlyArray<PeerMessage> = [first]
        while (true) {
          let next = 0
          while (next < batch.length) {
            next = writeUntilFull(socket, batch, next, options, counters)
            // Backpressure: while the socket is full, the queue fills and new messages are dropped.
            if (socket.writableNeedDrain) yield* awaitDrain(socket)
          }
          batch = yield* takeBatch
        }
      })

    const runConnection = (first: PeerMessage) =>
      Effect.gen(function*() {
        const socket = yield* connectSocket(target, options.connectTimeout).pipe(
          Effect.tapError(() => Effect.sync(() => counters.connectFailures++)),
          Effect.retry(options.reconnect)
        )
        counters.connects++
        connected = true
        yield* Effect.logDebug("peer link connected")
        yield* Effect.addFinalizer(() => Effect.sync(() => (connected = false)))
        // Nothing is expected back; reading lets a peer's close be seen without a write.
        socket.resume()
        socket.write(PEER_PREAMBLE)
        yield* Effect.raceFirst(writeLoop(socket, first), awaitClose(socket))
        counters.disconnects++
        yield* Effect.logDebug("peer link closed; reconnecting when there is something to send")
      }).pipe(Effect.scoped)

    yield* queue.take.pipe(
      Effect.flatMap(runConnection),
      // A bug in one connection's life must not end the link for good: log it and start over.
      Effect.catchAllCause((cause) => Effect.logWarning(`peer link to ${options.peer.id} failed`, cause)),
      Effect.forever,
      Effect.annotateLogs({ peer: options.peer.id }),
      Effect.forkScoped
    )

    return {
      peer: options.peer.id,
      offer: (message) => {
        if (queue.offer(message)) return true
        counters.droppedQueueFull++
        return false
      },
      isConnected: () => connected,
      queued: () => queue.size()
    } satisfies PeerLink
  })
