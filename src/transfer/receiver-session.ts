/**
 * The file-transfer session role: one per sender address, running the pure session core. It owns
 * a bounded inbox, a deadline timer (idle timeout while receiving, retention once finished) and
 * the open sink file, which its scope aborts on any exit short of a commit.
 *
 * Hot path: the router hands each datagram to `handle.offer`, inside the socket callback. While
 * the session's fiber is idle, the core is stepped right there and its outputs performed at once
 * when all of them can be (a write the sink takes into its buffer, an ack), so a datagram wakes
 * no fiber: measured, that hop was most of the receiver's CPU per datagram. Anything that must
 * wait (open, commit, a write that waits for the disk, expiry) goes to the fiber through the
 * inbox instead, stepped there anew (the core is pure: the discarded step left nothing behind),
 * and until the fiber is idle again later datagrams queue behind it, in arrival order.
 */
import { Duration, Effect } from "effect"
import type { DatagramSocket } from "../net/datagram.js"
import { ackEveryFor, makeAckCoalescer } from "./ack-coalescer.js"
import { startDeadlineTimer, type DeadlineTimer } from "./deadline.js"
import type { Mailbox } from "../runtime/mailbox.js"
import { isActivity, stepSession, type Opening, type ReceiverLimits, type SessionInput, type SessionOutput, type SessionState } from "./receiver-core.js"
import type { ReceiverStatsCounters } from "./receiver-stats.js"
import type { FileSink, SinkError, SinkFile } from "./sink.js"
import { encodeAck, type StartMessage } from "./wire.js"

/** What a session's inbox holds: core inputs as they are (no wrapper per datagram), or the end. */
export type SessionEvent = SessionInput | { readonly _tag: "Superseded" } | { readonly _tag: "Crashed"; readonly defect: unknown }

/** What the role's router needs to know about a running session. */
export interface SessionHandle {
  readonly inbox: Mailbox<SessionEvent>
  phase: SessionState["phase"]
  readonly start: StartMessage
  /**
   * Gives the session an event: handled at once if it can be, else queued in the inbox. False
   * only when the inbox is full (the event is dropped). Until the session runs, it queues.
   */
  offer: (event: SessionEvent) => boolean
}

export interface SessionContext {
  readonly socket: DatagramSocket
  readonly sink: FileSink
  readonly limits: ReceiverLimits
  readonly idleTimeout: Duration.Duration
  readonly finishedRetention: Duration.Duration
  readonly stats: ReceiverStatsCounters
}

const expired: SessionEvent = { _tag: "Expired" }

/** The mutable side of a running session, shared by the fiber, the callback and the performer. */
interface Live {
  state: SessionState
  file: SinkFile | undefined
  closed: boolean
  failed: boolean
  /** The fiber is handling something (or has something queued): new events queue behind it. */
  busy: boolean
  flushScheduled: boolean
}

interface Parts {
  readonly context: SessionContext
  readonly handle: SessionHandle
  readonly live: Live
  readonly timer: DeadlineTimer
  readonly now: () => number
  readonly from: string
  readonly startedMs: number
  readonly send: (bytes: Uint8Array) => void
}

/** Sends data acks as the coalescer says; a held one goes out at the end of the loop turn. */
const makeAcker = ({ live, send }: Parts) => {
  const coalescer = makeAckCoalescer(ackEveryFor(live.state.window))
  const sendAck = (nextSeqno: number | undefined) => {
    if (nextSeqno !== undefined && !live.failed) send(encodeAck({ nextSeqno }))
  }
  const flush = () => {
    live.flushScheduled = false
    sendAck(coalescer.flush())
  }
  return {
    note: (nextSeqno: number) => {
      sendAck(coalescer.note(nextSeqno))
      if (coalescer.holding() && !live.flushScheduled) {
        live.flushScheduled = true
        // After the poll phase: every datagram already read in this turn is handled by then.
        setImmediate(flush)
      }
    },
    flush: () => sendAck(coalescer.flush())
  }
}

/**
 * Carries out one core output. Returns undefined when done already (acks, a buffered write,
 * ignored input), else the Effect that does it.
 */
const makePerformer = (parts: Parts, noteAck: (nextSeqno: number) => void) => {
  const { context, handle, live, from, startedMs, now, send } = parts
  const { stats } = context
  return (output: SessionOutput): Effect.Effect<void, SinkError> | undefined => {
    switch (output._tag) {
      case "Open":
        return Effect.map(context.sink.open(output.name, output.totalBytes), (opened) => {
          live.file = opened
        })
      case "Write":
        if (live.file === undefined || live.file.writeNow?.(output.offset, output.bytes) === true) return undefined
        return live.file.write(output.offset, output.bytes)
      case "Commit":
        return live.file === undefined
          ? undefined
          : Effect.flatMap(live.file.commit, (location) => {
              live.file = undefined
              stats.completed++
              return Effect.logInfo(`transfer: received ${handle.start.name} (${handle.start.totalBytes} bytes) from ${from} in ${now() - startedMs} ms -> ${location}`)
            })
      case "AckStart":
        send(encodeAck(output))
        return undefined
      case "AckData":
        noteAck(output.nextSeqno)
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
}

/** Moves the deadline after a step: idle while receiving, retention (once) after finishing. */
const makeAfterStep = ({ context, handle, live, timer }: Parts) => {
  const idleMs = Duration.toMillis(context.idleTimeout)
  const retentionMs = Duration.toMillis(context.finishedRetention)
  return (outputs: ReadonlyArray<SessionOutput>, now: number): void => {
    const wasFinished = handle.phase === "finished"
    handle.phase = live.state.phase
    if (live.state.phase === "finished" && !wasFinished) timer.armAt(now + retentionMs)
    else if (live.state.phase === "receiving" && isActivity(outputs)) timer.armAt(now + idleMs)
  }
}

type Perform = ReturnType<typeof makePerformer>
type AfterStep = ReturnType<typeof makeAfterStep>

/** Outputs that always wait for I/O; a Write may not, if the sink buffers it. */
const waits = (output: SessionOutput, index: number): boolean =>
  output._tag === "Open" || output._tag === "Commit" || output._tag === "Abort" || output._tag === "Close" || (output._tag === "Write" && index > 0)

/**
 * The session's `offer` for the socket callback: steps the core at once if the fiber is idle and
 * every output can be performed without waiting, else queues the event for the fiber.
 */
const makeOffer = (parts: Parts, perform: Perform, afterStep: AfterStep) => {
  const { context, handle, live } = parts
  const queue = (event: SessionEvent): boolean => {
    if (!handle.inbox.offer(event)) return false
    live.busy = true
    return true
  }
  // A step's only Write comes first, so a refused one leaves nothing half done.
  const startNow = (outputs: ReadonlyArray<SessionOutput>): boolean => {
    if (outputs.some(waits)) return false
    const first = outputs[0]
    return first === undefined || first._tag !== "Write" || (live.file?.writeNow !== undefined && live.file.writeNow(first.offset, first.bytes))
  }
  const handleNow = (event: SessionInput): boolean => {
    const step = stepSession(live.state, event, context.limits)
    if (!startNow(step.outputs)) return false
    // Committed before the acks go out: a network that delivers inside a send (the simulated
    // one) may hand this session its next datagram from within `perform`; it then queues.
    live.state = step.state
    const first = step.outputs[0]
    for (let index = first !== undefined && first._tag === "Write" ? 1 : 0; index < step.outputs.length; index++) perform(step.outputs[index]!)
    afterStep(step.outputs, parts.now())
    return true
  }
  return (event: SessionEvent): boolean => {
    if (live.busy || live.closed || (event._tag !== "Data" && event._tag !== "Start")) return queue(event)
    live.busy = true
    try {
      if (!handleNow(event)) return queue(event)
    } catch (defect) {
      // The fiber dies with it, so the session is logged, counted and cleaned up as any crash.
      live.closed = true
      handle.inbox.offer({ _tag: "Crashed", defect })
      return true
    }
    // Whatever arrived meanwhile is queued, and the fiber (woken by it) takes over from here.
    live.busy = handle.inbox.size() > 0
    return true
  }
}

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
      // Read synchronously (the Clock service, so TestClock still drives it).
      const clock = yield* Effect.clock
      const now = () => clock.unsafeCurrentTimeMillis()
      const startedMs = now()
      const granularity = Duration.millis(Math.min(Duration.toMillis(context.idleTimeout), Duration.toMillis(context.finishedRetention)))
      // Through `offer`, so later datagrams queue behind the expiry rather than overtake it.
      const timer = yield* startDeadlineTimer(Effect.sync(() => handle.offer(expired)), granularity)
      const live: Live = { state: opening.state, file: undefined, closed: false, failed: false, busy: true, flushScheduled: false }
      yield* Effect.addFinalizer(() => (live.file === undefined ? Effect.void : live.file.abort))
      // Only an oversized datagram fails to send, and an ack never is one: nothing to handle.
      const send = (bytes: Uint8Array): void => void context.socket.sendNow(bytes, peer.host, peer.port)
      const parts: Parts = { context, handle, live, timer, now, from, startedMs, send }
      const acker = makeAcker(parts)
      const perform = makePerformer(parts, acker.note)
      const afterStep = makeAfterStep(parts)
      const fail = abandon(context, handle, live, from)
      const apply = (outputs: ReadonlyArray<SessionOutput>, atMs: number) =>
        Effect.gen(function* () {
          for (const output of outputs) {
            const pending = perform(output)
            if (pending !== undefined) yield* pending
          }
          afterStep(outputs, atMs)
        }).pipe(Effect.catchTag("SinkError", fail))
      handle.offer = makeOffer(parts, perform, afterStep)

      yield* Effect.logInfo(`transfer: receiving ${handle.start.name} (${handle.start.totalBytes} bytes) from ${from}${live.state.window > 1 ? ` window ${live.state.window}` : ""}`)
      yield* apply(opening.outputs, startedMs)
      while (!live.closed) {
        let event = handle.inbox.poll()
        if (event === undefined) {
          // Idle: acks held for this batch go out, and the socket callback may step the core.
          acker.flush()
          live.busy = false
          event = yield* handle.inbox.take
          live.busy = true
        }
        if (event._tag === "Crashed") return yield* Effect.die(event.defect)
        if (event._tag === "Superseded") break
        const step = stepSession(live.state, event, context.limits)
        live.state = step.state
        yield* apply(step.outputs, now())
      }
    })
  )
