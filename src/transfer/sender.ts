/**
 * The sending shell: streams a local file to a receiver through the pure sender core.
 *
 * Hot path: an ack is handled inside the socket's message callback. The core is stepped there
 * and its outputs performed at once (data from a block in memory, a timer re-arm, done), so a
 * round trip wakes no fiber: measured, the fiber hop per datagram was most of the CPU a
 * stop-and-wait transfer spent. If an output must wait (a block load from disk), it and the
 * outputs after it become the loop fiber's backlog; until the fiber is idle again, later
 * datagrams queue behind it in its mailbox, so outputs happen in order and the core sees every
 * input in arrival order. Retry-deadline expiries always go through the mailbox (see
 * deadline.ts: no timer per message).
 */
import * as dns from "node:dns/promises"
import * as net from "node:net"
import { Clock, Data, Duration, Effect } from "effect"
import type { TroupeConfig } from "../../config/schema.js"
import { Datagram, type DatagramSocket, type Incoming } from "../net/datagram.js"
import { startDeadlineTimer } from "./deadline.js"
import { openChunkReader, type ChunkReader } from "./file-reader.js"
import { filenameProblem } from "./filename.js"
import { makeMailbox, type Mailbox } from "../runtime/mailbox.js"
import { initSender, stepSender, type SenderInput, type SenderOutput, type SenderState } from "./sender-core.js"
import { decodeMessage, encodeData, encodeStart } from "./wire.js"

export class SendError extends Data.TaggedError("SendError")<{ readonly problem: string }> {
  override get message(): string {
    return this.problem
  }
}

export interface TransferProgress {
  readonly ackedBytes: number
  readonly totalBytes: number
  readonly elapsedMs: number
}

export interface SendFileOptions {
  readonly host: string
  readonly port: number
  readonly localPath: string
  readonly remoteName: string
  readonly config: TroupeConfig
  /** Ask for windowed mode (falls back to stop-and-wait if the receiver does not grant it). */
  readonly windowed?: boolean
  /** Called at most every `progressEvery`, and once at the end. */
  readonly onProgress?: (progress: TransferProgress) => void
  readonly progressEvery?: Duration.DurationInput
}

export interface SendResult {
  readonly totalBytes: number
  readonly elapsedMs: number
  /** 1 = stop-and-wait. */
  readonly window: number
  readonly bufSize: number
  readonly datagramsSent: number
  readonly retransmissions: number
  readonly ignoredAcks: number
}

/** The retry deadline passed. */
const due = { _tag: "Due" } as const
/** The callback finished the transfer (or failed it): the loop fiber should return. */
const wake = { _tag: "Wake" } as const
/** Datagrams go in the mailbox as they are (no wrapper per datagram). */
type SenderEvent = Incoming | typeof due | typeof wake

/** The first sequence number, as in the lab. */
const seqno0 = 0
/** Memory the file reader may use, whatever the file size. */
const readBlockBytes = 1024 * 1024

const resolveHost = (host: string): Effect.Effect<string, SendError> =>
  net.isIP(host) !== 0
    ? Effect.succeed(host)
    : Effect.tryPromise({
        try: async () => {
          const addresses = await dns.lookup(host, { all: true })
          const chosen = addresses.find((address) => address.family === 4) ?? addresses[0]
          if (chosen === undefined) throw new Error("no address")
          return chosen.address
        },
        catch: (error) => new SendError({ problem: `cannot resolve ${host}: ${error instanceof Error ? error.message : String(error)}` })
      })

/** Sends one file; succeeds only once the receiver acknowledged its last byte. */
export const sendFile = (options: SendFileOptions): Effect.Effect<SendResult, SendError, Datagram> =>
  Effect.scoped(
    Effect.gen(function* () {
      const transfer = options.config.transfer
      const nameProblem = filenameProblem(options.remoteName, transfer.maxFilenameBytes)
      if (nameProblem !== undefined) return yield* new SendError({ problem: `remote name refused: ${nameProblem}` })
      const host = yield* resolveHost(options.host)
      const reader = yield* openChunkReader(options.localPath, readBlockBytes).pipe(Effect.mapError((error) => new SendError({ problem: error.message })))
      if (reader.sizeBytes > Number.MAX_SAFE_INTEGER / 2) return yield* new SendError({ problem: "file too large" })
      const events = makeMailbox<SenderEvent>(options.config.runtime.mailboxCapacity)
      // Until the loop is set up, datagrams simply wait in the mailbox.
      let onDatagram: (incoming: Incoming) => boolean = events.offer
      // Connected: the OS filters other senders, and a send skips Node's per-send address lookup.
      const socket = yield* (yield* Datagram)
        .bind({ host: net.isIPv6(host) ? "::" : "0.0.0.0", port: 0, deliver: (incoming) => onDatagram(incoming), connect: { host, port: options.port } })
        .pipe(Effect.mapError((error) => new SendError({ problem: error.message })))
      const timer = yield* startDeadlineTimer(Effect.sync(() => events.offer(due)), transfer.retryEvery)
      const clock = yield* Effect.clock
      const setup: Loop = { options, host, reader, events, socket, armAt: timer.armAt, now: () => clock.unsafeCurrentTimeMillis() }
      const loop = startLoop(setup)
      onDatagram = loop.onDatagram
      return yield* runLoop(setup, loop)
    })
  )

/** Outputs still to perform, in order, starting with one that waits. */
interface Backlog {
  readonly pending: Effect.Effect<void, SendError>
  readonly rest: ReadonlyArray<SenderOutput>
  readonly now: number
}

/** The loop's mutable bookkeeping, shared by the callback, the loop fiber and the performer. */
interface LoopState {
  state: SenderState
  /** The loop fiber owns the core (it is performing something that waits): datagrams queue. */
  busy: boolean
  backlog: Backlog | undefined
  datagramsSent: number
  retransmissions: number
  ignoredAcks: number
  highestSent: number
  outcome: string | undefined
  defect: unknown
  deadlineMs: number
  lastProgressMs: number
}

interface Loop {
  readonly options: SendFileOptions
  readonly host: string
  readonly reader: ChunkReader
  readonly events: Mailbox<SenderEvent>
  readonly socket: DatagramSocket
  readonly armAt: (atMs: number) => void
  /** The Clock service's time, read synchronously (TestClock drives it in tests). */
  readonly now: () => number
}

const ackedBytes = (state: SenderState, totalBytes: number): number =>
  state.phase === "done" ? totalBytes : Math.min(totalBytes, (state.base - seqno0 - 1) * state.layout.payloadBytes)

/**
 * Carries out core outputs. `perform` returns undefined when it is done already, which is the
 * case for everything but a block load from disk: that comes back as an Effect to run.
 * `performAll` performs a step's outputs in order up to the first that waits, and returns the
 * rest as a backlog.
 */
const makePerformer = ({ options, host, reader, socket, armAt }: Loop, loop: LoopState) => {
  const retryMs = Duration.toMillis(options.config.transfer.retryEvery)
  // A datagram that cannot be sent (larger than UDP allows) ends the transfer with that error.
  const sendNow = (bytes: Uint8Array): void => {
    const error = socket.sendNow(bytes, host, options.port)
    if (error !== undefined && loop.outcome === undefined) loop.outcome = error.message
  }
  const load = (seqno: number, offset: number, length: number): Effect.Effect<void, SendError> =>
    reader.read(offset, length).pipe(
      Effect.mapError((error) => new SendError({ problem: error.message })),
      Effect.map((payload) => sendNow(encodeData(seqno, payload)))
    )
  const perform = (output: SenderOutput, now: number): Effect.Effect<void, SendError> | undefined => {
    switch (output._tag) {
      case "SendStart":
        loop.datagramsSent++
        sendNow(encodeStart({ seqno0, name: options.remoteName, totalBytes: reader.sizeBytes, wantsWindow: output.wantsWindow }))
        return undefined
      case "SendData": {
        loop.datagramsSent++
        if (output.seqno <= loop.highestSent) loop.retransmissions++
        else loop.highestSent = output.seqno
        const cached = reader.readCached(output.offset, output.length)
        if (cached === undefined) return load(output.seqno, output.offset, output.length)
        sendNow(encodeData(output.seqno, cached))
        return undefined
      }
      case "ArmTimer":
        loop.deadlineMs = now + retryMs
        armAt(loop.deadlineMs)
        return undefined
      case "Done":
        if (loop.outcome === undefined) loop.outcome = "done"
        return undefined
      case "GiveUp":
        if (loop.outcome === undefined) loop.outcome = output.reason
        return undefined
      case "Ignored":
        loop.ignoredAcks++
        return undefined
    }
  }
  const performAll = (outputs: ReadonlyArray<SenderOutput>, now: number): Backlog | undefined => {
    for (let index = 0; index < outputs.length; index++) {
      const pending = perform(outputs[index]!, now)
      if (pending !== undefined) return { pending, rest: outputs.slice(index + 1), now }
    }
    return undefined
  }
  return { perform, performAll }
}

const timeout: SenderInput = { _tag: "Timeout" }

/** The core's input for one event, or undefined if the event is nothing to act on. */
const inputOf = (event: SenderEvent, loop: LoopState, setup: Loop, now: number): SenderInput | undefined => {
  if (!("bytes" in event)) {
    // A wake-up for a deadline that has since moved is not a timeout.
    return event === due && now >= loop.deadlineMs ? timeout : undefined
  }
  const message = event.host === setup.host && event.port === setup.options.port ? decodeMessage(event.bytes) : undefined
  if (message === undefined || message._tag !== "Ack") {
    loop.ignoredAcks++
    return undefined
  }
  return { _tag: "Ack", ack: message }
}

type Performer = ReturnType<typeof makePerformer>

/** Progress callbacks, at most every `progressEvery` and once at the end. */
const makeReporter = ({ options, reader }: Loop, loop: LoopState, startMs: number) => {
  const progressEveryMs = Duration.toMillis(options.progressEvery ?? Duration.millis(100))
  return (now: number): void => {
    const force = loop.outcome === "done"
    if (options.onProgress === undefined || (!force && now - loop.lastProgressMs < progressEveryMs)) return
    loop.lastProgressMs = now
    options.onProgress({ ackedBytes: ackedBytes(loop.state, reader.sizeBytes), totalBytes: reader.sizeBytes, elapsedMs: now - startMs })
  }
}

/**
 * The message callback: steps the core on an ack and performs its outputs at once; what must
 * wait becomes the loop fiber's backlog. Never throws (a defect ends the transfer).
 */
const makeOnDatagram = (setup: Loop, loop: LoopState, performer: Performer, report: (now: number) => void) => (incoming: Incoming): boolean => {
  if (loop.busy) return setup.events.offer(incoming)
  if (loop.outcome !== undefined) return true
  // A network that delivers inside a send (the simulated one) may call back from within
  // `performAll`: such a datagram queues behind this one.
  loop.busy = true
  try {
    const now = setup.now()
    const input = inputOf(incoming, loop, setup, now)
    if (input !== undefined) {
      const step = stepSender(loop.state, input)
      loop.state = step.state
      loop.backlog = performer.performAll(step.outputs, now)
      report(now)
    }
  } catch (defect) {
    loop.defect = defect
    loop.outcome = "internal error"
  }
  if (loop.backlog !== undefined || loop.outcome !== undefined) setup.events.offer(wake)
  // Else idle again, unless something queued meanwhile: the fiber (woken by it) takes over.
  else loop.busy = setup.events.size() > 0
  return true
}

/** Sends the start and sets up the loop's state and its message callback. */
const startLoop = (setup: Loop) => {
  const startMs = setup.now()
  const { options, reader } = setup
  const first = initSender({
    seqno0,
    name: options.remoteName,
    totalBytes: reader.sizeBytes,
    triesPerMessage: options.config.transfer.triesPerMessage,
    window: options.windowed === true ? options.config.transfer.windowSize : 1
  })
  const loop: LoopState = {
    state: first.state,
    // Anything that arrived during setup is older than what the callback will see next.
    busy: setup.events.size() > 0,
    backlog: undefined,
    datagramsSent: 0,
    retransmissions: 0,
    ignoredAcks: 0,
    highestSent: seqno0,
    outcome: undefined,
    defect: undefined,
    deadlineMs: Number.POSITIVE_INFINITY,
    lastProgressMs: startMs
  }
  const performer = makePerformer(setup, loop)
  // The start's outputs never wait (no data yet).
  for (const output of first.outputs) performer.perform(output, startMs)
  const report = makeReporter(setup, loop, startMs)
  return { loop, performer, report, startMs, onDatagram: makeOnDatagram(setup, loop, performer, report) }
}

/** The loop fiber: retry deadlines, and whatever the message callback handed over. */
const runLoop = (setup: Loop, { loop, performer, report, startMs }: ReturnType<typeof startLoop>): Effect.Effect<SendResult, SendError> =>
  Effect.gen(function* () {
    const { reader, events } = setup
    while (loop.outcome === undefined) {
      const backlog = loop.backlog
      if (backlog !== undefined) {
        // Datagrams arriving while this waits for the disk queue behind it (busy is set).
        loop.backlog = undefined
        yield* backlog.pending
        loop.backlog = performer.performAll(backlog.rest, backlog.now)
        continue
      }
      let event = events.poll()
      if (event === undefined) {
        // Idle: the message callback steps the core itself until something must wait.
        loop.busy = false
        event = yield* events.take
      }
      const now = setup.now()
      const input = inputOf(event, loop, setup, now)
      if (input === undefined) continue
      const step = stepSender(loop.state, input)
      loop.state = step.state
      loop.busy = true
      loop.backlog = performer.performAll(step.outputs, now)
      report(now)
    }
    if (loop.defect !== undefined) return yield* Effect.die(loop.defect)
    if (loop.outcome !== "done") return yield* new SendError({ problem: loop.outcome })
    const endMs = yield* Clock.currentTimeMillis
    return {
      totalBytes: reader.sizeBytes,
      elapsedMs: endMs - startMs,
      window: loop.state.window,
      bufSize: loop.state.bufSize,
      datagramsSent: loop.datagramsSent,
      retransmissions: loop.retransmissions,
      ignoredAcks: loop.ignoredAcks
    }
  })
