/**
 * The file-transfer receiver role: one UDP socket, a router that decodes each datagram and hands
 * it to the session of its sender address (see receiver-session.ts: handled inside the socket
 * callback when nothing has to wait), and admission control for new sessions
 * (sanitised name, size limit, session limit). Malformed or unexpected datagrams are counted and
 * dropped; a defect in one session is logged and ends that session only.
 */
import { Cause, Effect, FiberSet, Queue, Runtime, type Scope } from "effect"
import type { TroupeConfig } from "../../config/schema.js"
import { Datagram, type DatagramError, type DatagramSocket, type Incoming } from "../net/datagram.js"
import { makeMailbox } from "../runtime/mailbox.js"
import { openSession, sameStart, type Opening, type ReceiverLimits } from "./receiver-core.js"
import { runSession, type SessionContext, type SessionEvent, type SessionHandle } from "./receiver-session.js"
import { emptyReceiverStats, type ReceiverStats, type ReceiverStatsCounters } from "./receiver-stats.js"
import type { FileSink } from "./sink.js"
import { decodeMessage, type StartMessage } from "./wire.js"

export interface ReceiverOptions {
  readonly host: string
  /** 0 picks a free port (tests). */
  readonly port: number
  readonly sink: FileSink
  readonly config: TroupeConfig
}

export interface ReceiverHandle {
  readonly host: string
  readonly port: number
  readonly stats: Effect.Effect<ReceiverStats>
  readonly sessionCount: Effect.Effect<number>
}

/** Enough for a start with the longest allowed name, whatever buf_size is. */
const startOverheadBytes = 64
/** The socket buffer asked of the OS: room for a full window of every session is not needed. */
const maxReceiveBufferBytes = 8 * 1024 * 1024

const limitsOf = (config: TroupeConfig): ReceiverLimits => ({
  bufSize: config.transfer.bufSize,
  maxFileBytes: config.transfer.maxFileBytes,
  maxFilenameBytes: config.transfer.maxFilenameBytes,
  windowSize: config.transfer.windowSize
})

/** The socket buffer a receiver asks for: room for a window of `bufSize` datagrams, twice over. */
export const receiveBufferBytesFor = (windowSize: number, bufSize: number): number =>
  Math.min(maxReceiveBufferBytes, 4 * windowSize * bufSize)

/**
 * The window a socket can absorb: a datagram costs the kernel about twice its size in buffer
 * accounting, and a window larger than that is lost in bursts.
 */
const windowForSocket = (socket: DatagramSocket, limits: ReceiverLimits): number =>
  Math.max(1, Math.min(limits.windowSize, Math.floor(socket.receiveBufferBytes / (2 * limits.bufSize))))

interface Admission {
  readonly start: StartMessage
  readonly key: string
  readonly incoming: Incoming
}

interface RouterContext {
  readonly limits: ReceiverLimits
  readonly stats: ReceiverStatsCounters
  readonly sessions: Map<string, SessionHandle>
  readonly admissions: Queue.Enqueue<Admission>
  readonly maxStartBytes: number
}

/**
 * Runs inside the socket event for every datagram: decodes it and hands it to its session (which
 * handles it at once or queues it), or a start to the admission queue. Returns false only when
 * that queue is full.
 */
const makeRouter = ({ limits, stats, sessions, admissions, maxStartBytes }: RouterContext) => {
  // The session key of the previous datagram's sender: a transfer's datagrams come in runs from
  // one address, and building and hashing a new key string per datagram showed in profiles.
  let lastHost = ""
  let lastPort = -1
  let lastKey = ""
  const keyOf = (incoming: Incoming): string => {
    if (incoming.port !== lastPort || incoming.host !== lastHost) {
      lastHost = incoming.host
      lastPort = incoming.port
      lastKey = `${incoming.host}:${incoming.port}`
    }
    return lastKey
  }
  return (incoming: Incoming): boolean => {
    stats.datagrams++
    if (incoming.bytes.length > maxStartBytes) {
      stats.malformed++
      return true
    }
    const message = decodeMessage(incoming.bytes)
    if (message._tag === "Malformed" || (message._tag === "Data" && incoming.bytes.length > limits.bufSize)) {
      stats.malformed++
      return true
    }
    if (message._tag === "Ack") {
      stats.unexpected++
      return true
    }
    const key = keyOf(incoming)
    const handle = sessions.get(key)
    if (handle !== undefined) {
      const restart = message._tag === "Start" && handle.phase === "finished" && !sameStart(handle.start, message)
      if (!restart) {
        const event: SessionEvent = message._tag === "Start" ? { _tag: "Start", start: message } : message
        if (!handle.offer(event)) stats.droppedSessionBusy++
        return true
      }
      // A finished session only lingers for late duplicates: a new transfer replaces it.
      sessions.delete(key)
      handle.offer({ _tag: "Superseded" })
    }
    if (message._tag !== "Start") {
      stats.unexpected++
      return true
    }
    return admissions.unsafeOffer({ start: message, key, incoming })
  }
}

/** A session fiber whose failure or defect is logged and counted, and that always unregisters. */
const superviseSession = (
  context: SessionContext,
  sessions: Map<string, SessionHandle>,
  handle: SessionHandle,
  opening: Extract<Opening, { _tag: "Opened" }>,
  key: string,
  peer: Incoming
): Effect.Effect<void> =>
  runSession(context, handle, opening, peer).pipe(
    Effect.catchAllCause((cause) =>
      Cause.isInterruptedOnly(cause)
        ? Effect.void
        : Effect.zipRight(
            Effect.sync(() => context.stats.sessionDefects++),
            Effect.logError(`transfer: session from ${key} crashed and was dropped`, cause)
          )
    ),
    Effect.ensuring(
      Effect.sync(() => {
        if (sessions.get(key) === handle) sessions.delete(key)
      })
    )
  )

export const makeReceiver = (options: ReceiverOptions): Effect.Effect<ReceiverHandle, DatagramError, Scope.Scope | Datagram> =>
  Effect.gen(function* () {
    const { config, sink } = options
    const limits = limitsOf(config)
    const stats = emptyReceiverStats()
    const sessions = new Map<string, SessionHandle>()
    const fibers = yield* FiberSet.make<void, never>()
    // Starts wait here for admission (opening a session forks a fiber); everything else is
    // routed straight into its session's inbox from the socket event, without a fiber hop.
    const admissions = yield* Queue.dropping<Admission>(config.runtime.mailboxCapacity)
    const maxStartBytes = Math.max(limits.bufSize, limits.maxFilenameBytes + startOverheadBytes)
    const runtime = yield* Effect.runtime<never>()

    const route = makeRouter({ limits, stats, sessions, admissions, maxStartBytes })
    const routeSafely = (incoming: Incoming): boolean => {
      try {
        return route(incoming)
      } catch (defect) {
        stats.malformed++
        Runtime.runFork(runtime)(Effect.logError("transfer: datagram handling failed", defect))
        return true
      }
    }

    const datagram = yield* Datagram
    const socket = yield* datagram.bind({
      host: options.host,
      port: options.port,
      deliver: routeSafely,
      receiveBufferBytes: receiveBufferBytesFor(limits.windowSize, limits.bufSize)
    })
    const grantedWindow = windowForSocket(socket, limits)
    const context: SessionContext = {
      socket,
      sink,
      limits,
      idleTimeout: config.transfer.sessionIdleTimeout,
      finishedRetention: config.transfer.finishedRetention,
      stats
    }

    const admit = (start: StartMessage, key: string, incoming: Incoming): Effect.Effect<void> => {
      // The same start may have been queued twice before its session existed.
      const existing = sessions.get(key)
      if (existing !== undefined) return Effect.sync(() => existing.offer({ _tag: "Start", start }))
      if (sessions.size >= config.transfer.maxSessions) {
        stats.refused++
        return Effect.logWarning(`transfer: refused ${JSON.stringify(start.name)} from ${key}: ${config.transfer.maxSessions} sessions already running`)
      }
      const opening = openSession(start, limits, grantedWindow)
      if (opening._tag === "Refused") {
        stats.refused++
        return Effect.logWarning(`transfer: refused ${JSON.stringify(start.name)} from ${key}: ${opening.reason}`)
      }
      stats.sessionsOpened++
      return Effect.suspend(() => {
        const inbox = makeMailbox<SessionEvent>(config.runtime.mailboxCapacity)
        // Queues until the session runs and installs its own.
        const handle: SessionHandle = { inbox, phase: opening.state.phase, start, offer: inbox.offer }
        sessions.set(key, handle)
        return FiberSet.run(fibers, superviseSession(context, sessions, handle, opening, key, incoming)).pipe(Effect.asVoid)
      })
    }

    yield* Effect.logInfo(`transfer: receiving on udp ${socket.host}:${socket.port} into ${sink.description}`)
    yield* Effect.forkScoped(Effect.forever(Effect.flatMap(Queue.take(admissions), ({ start, key, incoming }) => admit(start, key, incoming))))
    return {
      host: socket.host,
      port: socket.port,
      stats: Effect.sync(() => ({ ...stats })),
      sessionCount: Effect.sync(() => sessions.size)
    }
  })

/** The receiver as a node role: runs until its scope closes. */
export const runReceiver = (options: ReceiverOptions): Effect.Effect<never, DatagramError, Scope.Scope | Datagram> =>
  Effect.zipRight(makeReceiver(options), Effect.never)
