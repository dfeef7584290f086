/**
 * The sending shell: streams a local file to a receiver through the pure sender core. One loop
 * waits on one mailbox that holds both datagrams from the socket and retry-deadline expiries, so
 * waiting for an ack costs no per-message timer (see deadline.ts).
 */
import * as dns from "node:dns/promises"
import * as net from "node:net"
import { Clock, Data, Duration, Effect } from "effect"
import type { TroupeConfig } from "../../config/schema.js"
import { Datagram, type DatagramSocket, type Incoming } from "../net/datagram.js"
import { startDeadlineTimer } from "./deadline.js"
import { openChunkReader, type ChunkReader } from "./file-reader.js"
import { filenameProblem } from "./filename.js"
import { makeMailbox, type Mailbox } from "./mailbox.js"
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

/** The retry deadline passed; datagrams go in the mailbox as they are (no wrapper per datagram). */
const due = { _tag: "Due" } as const
type SenderEvent = Incoming | typeof due

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
      const socket = yield* (yield* Datagram)
        .bind({ host: net.isIPv6(host) ? "::" : "0.0.0.0", port: 0, deliver: events.offer })
        .pipe(Effect.mapError((error) => new SendError({ problem: error.message })))
      const timer = yield* startDeadlineTimer(Effect.sync(() => events.offer(due)), transfer.retryEvery)
      return yield* runLoop({ options, host, reader, events, socket, armAt: timer.armAt })
    })
  )

/** The loop's mutable bookkeeping, shared with the output performer. */
interface LoopState {
  datagramsSent: number
  retransmissions: number
  ignoredAcks: number
  highestSent: number
  outcome: string | undefined
  deadlineMs: number
}

interface Loop {
  readonly options: SendFileOptions
  readonly host: string
  readonly reader: ChunkReader
  readonly events: Mailbox<SenderEvent>
  readonly socket: DatagramSocket
  readonly armAt: (atMs: number) => void
}

const ackedBytes = (state: SenderState, totalBytes: number): number =>
  state.phase === "done" ? totalBytes : Math.min(totalBytes, (state.base - seqno0 - 1) * state.layout.payloadBytes)

/**
 * Carries out one core output. Returns undefined when it is done already, which is the case for
 * everything on the hot path (a data message from the block in memory, an ack); only a block
 * load from disk or a failure comes back as an Effect to run.
 */
const makePerformer = ({ options, host, reader, socket, armAt }: Loop, loop: LoopState) => {
  const retryMs = Duration.toMillis(options.config.transfer.retryEvery)
  const sendNow = (bytes: Uint8Array): Effect.Effect<void, SendError> | undefined => {
    const error = socket.sendNow(bytes, host, options.port)
    return error === undefined ? undefined : Effect.fail(new SendError({ problem: error.message }))
  }
  const sendData = (seqno: number, offset: number, length: number): Effect.Effect<void, SendError> | undefined => {
    const cached = reader.readCached(offset, length)
    if (cached !== undefined) return sendNow(encodeData(seqno, cached))
    return reader.read(offset, length).pipe(
      Effect.mapError((error) => new SendError({ problem: error.message })),
      Effect.flatMap((payload) => sendNow(encodeData(seqno, payload)) ?? Effect.void)
    )
  }
  return (output: SenderOutput, now: number): Effect.Effect<void, SendError> | undefined => {
    switch (output._tag) {
      case "SendStart":
        loop.datagramsSent++
        return sendNow(encodeStart({ seqno0, name: options.remoteName, totalBytes: reader.sizeBytes, wantsWindow: output.wantsWindow }))
      case "SendData":
        loop.datagramsSent++
        if (output.seqno <= loop.highestSent) loop.retransmissions++
        else loop.highestSent = output.seqno
        return sendData(output.seqno, output.offset, output.length)
      case "ArmTimer":
        loop.deadlineMs = now + retryMs
        armAt(loop.deadlineMs)
        return undefined
      case "Done":
        loop.outcome = "done"
        return undefined
      case "GiveUp":
        loop.outcome = output.reason
        return undefined
      case "Ignored":
        loop.ignoredAcks++
        return undefined
    }
  }
}

const timeout: SenderInput = { _tag: "Timeout" }

/** The core's input for one event, or undefined if the event is nothing to act on. */
const inputOf = (event: SenderEvent, loop: LoopState, setup: Loop, now: number): SenderInput | undefined => {
  if (!("bytes" in event)) {
    // A wake-up for a deadline that has since moved is not a timeout.
    return now < loop.deadlineMs ? undefined : timeout
  }
  const message = event.host === setup.host && event.port === setup.options.port ? decodeMessage(event.bytes) : undefined
  if (message === undefined || message._tag !== "Ack") {
    loop.ignoredAcks++
    return undefined
  }
  return { _tag: "Ack", ack: message }
}

const runLoop = (setup: Loop): Effect.Effect<SendResult, SendError> =>
  Effect.gen(function* () {
    const { options, reader, events } = setup
    const progressEveryMs = Duration.toMillis(options.progressEvery ?? Duration.millis(100))
    // Read synchronously once per event (the Clock service, so TestClock still drives it).
    const clock = yield* Effect.clock
    const startMs = clock.unsafeCurrentTimeMillis()
    const loop: LoopState = { datagramsSent: 0, retransmissions: 0, ignoredAcks: 0, highestSent: seqno0, outcome: undefined, deadlineMs: Number.POSITIVE_INFINITY }
    const perform = makePerformer(setup, loop)
    let lastProgressMs = startMs
    const report = (state: SenderState, now: number, force: boolean) => {
      if (options.onProgress === undefined || (!force && now - lastProgressMs < progressEveryMs)) return
      lastProgressMs = now
      options.onProgress({ ackedBytes: ackedBytes(state, reader.sizeBytes), totalBytes: reader.sizeBytes, elapsedMs: now - startMs })
    }
    let { state, outputs } = initSender({
      seqno0,
      name: options.remoteName,
      totalBytes: reader.sizeBytes,
      triesPerMessage: options.config.transfer.triesPerMessage,
      window: options.windowed === true ? options.config.transfer.windowSize : 1
    })
    for (const output of outputs) {
      const pending = perform(output, startMs)
      if (pending !== undefined) yield* pending
    }
    while (loop.outcome === undefined) {
      const event = events.poll() ?? (yield* events.take)
      const now = clock.unsafeCurrentTimeMillis()
      const input = inputOf(event, loop, setup, now)
      if (input === undefined) continue
      ;({ state, outputs } = stepSender(state, input))
      for (const output of outputs) {
        const pending = perform(output, now)
        if (pending !== undefined) yield* pending
      }
      report(state, now, loop.outcome === "done")
    }
    if (loop.outcome !== "done") return yield* new SendError({ problem: loop.outcome })
    const endMs = yield* Clock.currentTimeMillis
    return {
      totalBytes: reader.sizeBytes,
      elapsedMs: endMs - startMs,
      window: state.window,
      bufSize: state.bufSize,
      datagramsSent: loop.datagramsSent,
      retransmissions: loop.retransmissions,
      ignoredAcks: loop.ignoredAcks
    }
  })
