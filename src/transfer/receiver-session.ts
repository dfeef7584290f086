/**
 * The file-transfer session role: one fiber per sender address, running the pure session core.
 * It owns a bounded inbox, a deadline timer (idle timeout while receiving, retention once
 * finished) and the open sink file, which its scope aborts on any exit short of a commit.
 */
import { Clock, Duration, Effect } from "effect"
import type { DatagramSocket } from "../net/datagram.js"
import { startDeadlineTimer } from "./deadline.js"
import type { Mailbox } from "./mailbox.js"
import { isActivity, stepSession, type Opening, type ReceiverLimits, type SessionInput, type SessionOutput, type SessionState } from "./receiver-core.js"
import type { ReceiverStatsCounters } from "./receiver-stats.js"
import type { FileSink, SinkError, SinkFile } from "./sink.js"
import { encodeAck, type StartMessage } from "./wire.js"

/** What a session's inbox holds: core inputs as they are (no wrapper per datagram), or the end. */
export type SessionEvent = SessionInput | { readonly _tag: "Superseded" }

/** What the role's router needs to know about a running session. */
export interface SessionHandle {
  readonly inbox: Mailbox<SessionEvent>
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

const expired: SessionEvent = { _tag: "Expired" }

/** The mutable side of a running session, shared by the loop and the output performer. */
interface Live {
  file: SinkFile | undefined
  closed: boolean
  failed: boolean
  pendingAck: number | undefined
}

/**
 * Carries out one core output; acks to data are held back and sent once per batch. Returns
 * undefined when done already (acks, ignored input), else the Effect that does it.
 */
const makePerformer = (context: SessionContext, handle: SessionHandle, live: Live, from: string, startedMs: number, send: (bytes: Uint8Array) => void) =>
  (output: SessionOutput): Effect.Effect<void, SinkError> | undefined => {
    const { stats } = context
    switch (output._tag) {
      case "Open":
        return Effect.map(context.sink.open(output.name, output.totalBytes), (opened) => {
          live.file = opened
        })
      case "Write":
        return live.file === undefined ? undefined : live.file.write(output.offset, output.bytes)
      case "Commit":
        return live.file === undefined
          ? undefined
          : Effect.flatMap(live.file.commit, (location) => {
              live.file = undefined
              stats.completed++
              return Effect.flatMap(Clock.currentTimeMillis, (now) =>
                Effect.logInfo(`transfer: received ${handle.start.name} (${handle.start.totalBytes} bytes) from ${from} in ${now - startedMs} ms -> ${location}`)
              )
            })
      case "AckStart":
        send(encodeAck(output))
        return undefined
      case "AckData":
        live.pendingAck = output.nextSeqno
        return undefined
      case "Abort":
        stats.aborted++
        return Effect.zipRight(
          Effect.logWarning(`transfer: ${handle.start.name} from ${from} abandoned: ${output.reason}`),
          Effect.suspend(() => (live.file === undefined ? Effect.void : live.file.abort.pipe(Effect.tap(() => (live.file = undefined)))))
        )
      case "Close":
        live.closed = true
        return undefined
      case "Ignored":
        stats.ignored++
        return undefined
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

/** Ends the session after its sink failed: the file is aborted by the session's scope. */
const abandon = (context: SessionContext, handle: SessionHandle, live: Live, from: string) => (error: SinkError) =>
  Effect.zipRight(
    Effect.sync(() => {
      context.stats.aborted++
      live.closed = true
      live.failed = true
    }),
    Effect.logWarning(`transfer: ${handle.start.name} from ${from} abandoned: ${error.message}`)
  )

export const runSession = (
  context: SessionContext,
  handle: SessionHandle,
  opening: Extract<Opening, { _tag: "Opened" }>,
  peer: { readonly host: string; readonly port: number }
) =>
  Effect.scoped(
    Effect.gen(function* () {
      const from = `${peer.host}:${peer.port}`
      // Read synchronously once per batch (the Clock service, so TestClock still drives it).
      const clock = yield* Effect.clock
      const startedMs = clock.unsafeCurrentTimeMillis()
      const idleMs = Duration.toMillis(context.idleTimeout)
      const retentionMs = Duration.toMillis(context.finishedRetention)
      const timer = yield* startDeadlineTimer(Effect.sync(() => handle.inbox.offer(expired)), Duration.millis(Math.min(idleMs, retentionMs)))
      const live: Live = { file: undefined, closed: false, failed: false, pendingAck: undefined }
      yield* Effect.addFinalizer(() => (live.file === undefined ? Effect.void : live.file.abort))
      // Only an oversized datagram fails to send, and an ack never is one: nothing to handle.
      const send = (bytes: Uint8Array): void => void context.socket.sendNow(bytes, peer.host, peer.port)
      const perform = makePerformer(context, handle, live, from, startedMs, send)
      const fail = abandon(context, handle, live, from)
      let state = opening.state
      let outputs: ReadonlyArray<SessionOutput> = opening.outputs
      let first: SessionEvent | undefined
      // Performs a step's outputs in order, then moves the deadline: idle while receiving,
      // retention (once, not refreshed by late duplicates) after finishing.
      const applyOutputs = function* (now: number) {
        for (const output of outputs) {
          const pending = perform(output)
          if (pending !== undefined) yield* pending
        }
        const wasFinished = handle.phase === "finished"
        handle.phase = state.phase
        if (state.phase === "finished" && !wasFinished) timer.armAt(now + retentionMs)
        else if (state.phase === "receiving" && isActivity(outputs)) timer.armAt(now + idleMs)
      }
      // One batch: `first` plus whatever else is waiting, up to the batch size. Built once and
      // run per batch, so a round trip allocates no Effect of its own on the way.
      const handleBatch = Effect.gen(function* () {
        const now = clock.unsafeCurrentTimeMillis()
        let event = first
        for (let handled = 0; event !== undefined && handled < context.batchSize; handled++) {
          if (event._tag === "Superseded" || live.closed) {
            live.closed = true
            break
          }
          ;({ state, outputs } = stepSession(state, event, context.limits))
          yield* applyOutputs(now)
          event = handled + 1 < context.batchSize ? handle.inbox.poll() : undefined
        }
      }).pipe(Effect.catchTag("SinkError", fail))

      yield* Effect.logInfo(`transfer: receiving ${handle.start.name} (${handle.start.totalBytes} bytes) from ${from}${state.window > 1 ? ` window ${state.window}` : ""}`)
      yield* Effect.catchTag(Effect.gen(() => applyOutputs(startedMs)), "SinkError", fail)
      while (!live.closed) {
        first = handle.inbox.poll() ?? (yield* handle.inbox.take)
        // A windowed session first lets the rest of a burst arrive, so one cumulative ack
        // answers many datagrams.
        if (state.window > 1) yield* yieldToIo
        yield* handleBatch
        first = undefined
        // Acks are cumulative, so the last one of a batch answers every datagram in it.
        if (live.pendingAck !== undefined && !live.failed) send(encodeAck({ nextSeqno: live.pendingAck }))
        live.pendingAck = undefined
      }
    })
  )
