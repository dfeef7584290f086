/**
 * The file-transfer session role: one fiber per sender address, running the pure session core.
 * It owns a bounded inbox, a deadline timer (idle timeout while receiving, retention once
 * finished) and the open sink file, which its scope aborts on any exit short of a commit.
 */
import { Clock, Duration, Effect, Queue } from "effect"
import type { DatagramSocket } from "../net/datagram.js"
import { startDeadlineTimer } from "./deadline.js"
import { isActivity, stepSession, type Opening, type ReceiverLimits, type SessionInput, type SessionOutput, type SessionState } from "./receiver-core.js"
import type { ReceiverStatsCounters } from "./receiver-stats.js"
import type { FileSink, SinkError, SinkFile } from "./sink.js"
import { encodeAck, type StartMessage } from "./wire.js"

export type SessionEvent = { readonly _tag: "Input"; readonly input: SessionInput } | { readonly _tag: "Superseded" }

/** What the role's router needs to know about a running session. */
export interface SessionHandle {
  readonly inbox: Queue.Queue<SessionEvent>
  phase: SessionState["phase"]
  readonly start: StartMessage
}

export interface SessionContext {
  readonly socket: DatagramSocket
  readonly sink: FileSink
  readonly limits: ReceiverLimits
  readonly idleTimeout: Duration.Duration
  readonly finishedRetention: Duration.Duration
  readonly stats: ReceiverStatsCounters
  /** Most inbox events handled before the acks they produced are sent (coalesced). */
  readonly batchSize: number
}

const expired: SessionEvent = { _tag: "Input", input: { _tag: "Expired" } }

/** The mutable side of a running session, shared by the loop and the output performer. */
interface Live {
  file: SinkFile | undefined
  closed: boolean
  failed: boolean
  pendingAck: number | undefined
}

/** Carries out one core output; acks to data are held back and sent once per batch. */
const makePerformer = (context: SessionContext, handle: SessionHandle, live: Live, from: string, startedMs: number, send: (bytes: Uint8Array) => Effect.Effect<void>) =>
  (output: SessionOutput): Effect.Effect<void, SinkError> => {
    const { stats } = context
    switch (output._tag) {
      case "Open":
        return Effect.map(context.sink.open(output.name, output.totalBytes), (opened) => {
          live.file = opened
        })
      case "Write":
        return live.file === undefined ? Effect.void : live.file.write(output.offset, output.bytes)
      case "Commit":
        return live.file === undefined
          ? Effect.void
          : Effect.flatMap(live.file.commit, (location) => {
              live.file = undefined
              stats.completed++
              return Effect.flatMap(Clock.currentTimeMillis, (now) =>
                Effect.logInfo(`transfer: received ${handle.start.name} (${handle.start.totalBytes} bytes) from ${from} in ${now - startedMs} ms -> ${location}`)
              )
            })
      case "AckStart":
        return send(encodeAck(output))
      case "AckData":
        live.pendingAck = output.nextSeqno
        return Effect.void
      case "Abort":
        stats.aborted++
        return Effect.zipRight(
          Effect.logWarning(`transfer: ${handle.start.name} from ${from} abandoned: ${output.reason}`),
          Effect.suspend(() => (live.file === undefined ? Effect.void : live.file.abort.pipe(Effect.tap(() => (live.file = undefined)))))
        )
      case "Close":
        live.closed = true
        return Effect.void
      case "Ignored":
        stats.ignored++
        return Effect.void
    }
  }

/**
 * Lets the event loop run its I/O phase once: datagrams already in the socket buffer are read
 * (and routed into the inbox) before the session continues. Effect has no such yield of its own:
 * `yieldNow` stays in the microtask queue and `sleep(0)` is a ~1 ms timer.
 */
const yieldToIo = Effect.async<void>((resume) => {
  setImmediate(() => resume(Effect.void))
})

/**
 * Takes one event, plus whatever else is already waiting (up to a batch). A windowed session
 * first lets the rest of a burst arrive, so one cumulative ack answers many datagrams.
 */
const takeBatch = (handle: SessionHandle, batchSize: number, windowed: boolean) =>
  Effect.flatMap(Queue.take(handle.inbox), (first) => {
    if (windowed) {
      return Effect.zipRight(yieldToIo, Effect.map(Queue.takeUpTo(handle.inbox, batchSize - 1), (more) => [first, ...more]))
    }
    // In stop-and-wait the inbox is empty here, so skip the batch take's extra work.
    const waiting = handle.inbox.unsafeSize()
    return waiting._tag === "Some" && waiting.value > 0
      ? Effect.map(Queue.takeUpTo(handle.inbox, batchSize - 1), (more) => [first, ...more])
      : Effect.succeed([first])
  })

export const runSession = (
  context: SessionContext,
  handle: SessionHandle,
  opening: Extract<Opening, { _tag: "Opened" }>,
  peer: { readonly host: string; readonly port: number }
) =>
  Effect.scoped(
    Effect.gen(function* () {
      const from = `${peer.host}:${peer.port}`
      const startedMs = yield* Clock.currentTimeMillis
      const idleMs = Duration.toMillis(context.idleTimeout)
      const retentionMs = Duration.toMillis(context.finishedRetention)
      const timer = yield* startDeadlineTimer(Queue.offer(handle.inbox, expired), Duration.millis(Math.min(idleMs, retentionMs)))
      const live: Live = { file: undefined, closed: false, failed: false, pendingAck: undefined }
      yield* Effect.addFinalizer(() => (live.file === undefined ? Effect.void : live.file.abort))
      const send = (bytes: Uint8Array) => Effect.ignore(context.socket.send(bytes, peer.host, peer.port))
      const perform = makePerformer(context, handle, live, from, startedMs, send)
      const fail = (error: SinkError) =>
        Effect.zipRight(
          Effect.sync(() => {
            context.stats.aborted++
            live.closed = true
            live.failed = true
          }),
          Effect.logWarning(`transfer: ${handle.start.name} from ${from} abandoned: ${error.message}`)
        )
      // Performs a step's outputs in order, then moves the deadline: idle while receiving,
      // retention (once, not refreshed by late duplicates) after finishing.
      const apply = (state: SessionState, outputs: ReadonlyArray<SessionOutput>, now: number) =>
        Effect.forEach(outputs, perform, { discard: true }).pipe(
          Effect.zipRight(
            Effect.sync(() => {
              const wasFinished = handle.phase === "finished"
              handle.phase = state.phase
              if (state.phase === "finished" && !wasFinished) timer.armAt(now + retentionMs)
              else if (state.phase === "receiving" && isActivity(outputs)) timer.armAt(now + idleMs)
            })
          ),
          Effect.catchTag("SinkError", fail)
        )

      let state = opening.state
      yield* Effect.logInfo(`transfer: receiving ${handle.start.name} (${handle.start.totalBytes} bytes) from ${from}${state.window > 1 ? ` window ${state.window}` : ""}`)
      yield* apply(state, opening.outputs, startedMs)
      while (!live.closed) {
        const events = yield* takeBatch(handle, context.batchSize, state.window > 1)
        const now = yield* Clock.currentTimeMillis
        for (const event of events) {
          if (event._tag === "Superseded" || live.closed) {
            live.closed = true
            break
          }
          const step = stepSession(state, event.input, context.limits)
          state = step.state
          yield* apply(state, step.outputs, now)
        }
        // Acks are cumulative, so the last one of a batch answers every datagram in it.
        if (live.pendingAck !== undefined && !live.failed) yield* send(encodeAck({ nextSeqno: live.pendingAck }))
        live.pendingAck = undefined
      }
    })
  )
