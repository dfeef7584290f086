/**
 * Wire benchmarks.
 *   1. Frames/s to encode, decode, and both, for a typical AppendEntries (64 entries x 100 bytes),
 *      and encode+decode for a Ping.
 *   2. Loopback throughput between two live transports (127.0.0.1 -> 127.0.0.2), ~3 s per message kind.
 *
 * Run: node --import tsx bench/wire.ts
 */
import { pathToFileURL } from "node:url"
import { Duration, Effect } from "effect"
import { defaultConfig } from "../src/config/load.js"
import { makePortMux, PortMux } from "../src/net/port-mux.js"
import { makeTcpTransport } from "../src/net/tcp-transport.js"
import { encodeFrame, type Envelope, FrameDecoder, frameKey } from "../src/wire/frame.js"
import type { PeerMessage } from "../src/wire/messages.js"

const config = defaultConfig()
const FRAME_BENCH_MS = 1000
const LOOPBACK_BENCH_MS = 3000

const appendEntries = (entryCount: number, entryBytes: number): PeerMessage => ({
  _tag: "AppendEntries",
  term: 7,
  leader: "127.0.0.1:7000",
  prevLogIndex: 1000,
  prevLogTerm: 7,
  entries: Array.from({ length: entryCount }, (_, offset) => ({
    term: 7,
    index: 1001 + offset,
    kind: "command" as const,
    data: "v".repeat(entryBytes)
  })),
  leaderCommit: 1000,
  readRound: 0
})

/** Runs `body` repeatedly for about `forMs` and returns operations per second. */
const rate = (forMs: number, body: () => void): number => {
  const started = performance.now()
  let operations = 0
  while (performance.now() - started < forMs) {
    for (let index = 0; index < 100; index++) body()
    operations += 100
  }
  return operations / ((performance.now() - started) / 1000)
}

export const frameBench = (): Record<string, number> => {
  const key = frameKey(config.secret)
  const envelope: Envelope = { clusterId: config.clusterId, from: "127.0.0.1:7000", to: "127.0.0.2:7000", message: appendEntries(64, 100) }
  const decoder = new FrameDecoder({ key, clusterId: config.clusterId, self: envelope.to, maxFrameBytes: config.wire.maxFrameBytes })
  const frame = encodeFrame(envelope, key)
  const encodePerSecond = rate(FRAME_BENCH_MS, () => void encodeFrame(envelope, key))
  const decodePerSecond = rate(FRAME_BENCH_MS, () => void decoder.feed(frame))
  const roundTripPerSecond = rate(FRAME_BENCH_MS, () => void decoder.feed(encodeFrame(envelope, key)))
  const ping: Envelope = { ...envelope, message: { _tag: "Ping", seq: 1, sentAtMs: 1 } }
  const pingRoundTripPerSecond = rate(FRAME_BENCH_MS, () => void decoder.feed(encodeFrame(ping, key)))
  return { frameBytes: frame.length, encodePerSecond, decodePerSecond, roundTripPerSecond, pingRoundTripPerSecond }
}

/** Sends `message` from A to B as fast as the bounded queue allows for `forMs`; counts what B receives. */
const loopback = (message: PeerMessage, forMs: number) =>
  Effect.gen(function*() {
    const mux = (host: string, port: number) =>
      makePortMux({ host, port, sniffTimeout: "1 second", maxConnections: 16, maxRequestLineBytes: config.http.maxRequestBytes })
    const muxA = yield* mux("127.0.0.1", 0)
    const muxB = yield* mux("127.0.0.2", muxA.port)
    const peers = [muxA, muxB].map((m) => ({ id: `${m.host}:${m.port}`, host: m.host, port: m.port }))
    const start = (m: typeof muxA) =>
      makeTcpTransport({ config, self: { id: `${m.host}:${m.port}`, host: m.host }, peers }).pipe(Effect.provideService(PortMux, m))
    const a = yield* start(muxA)
    const b = yield* start(muxB)
    const to = peers[1]!.id
    let received = 0
    yield* Effect.forkScoped(Effect.forever(Effect.tap(b.receive, () => Effect.sync(() => received++))))
    const burst = Math.floor(config.wire.peerSendQueueCapacity / 2)
    const startedMs = performance.now()
    while (performance.now() - startedMs < forMs) {
      for (let index = 0; index < burst; index++) yield* a.send(to, message)
      // Let the writer and the socket run before the next burst.
      yield* Effect.sleep(Duration.millis(1))
    }
    const elapsedS = (performance.now() - startedMs) / 1000
    yield* Effect.sleep(Duration.millis(200))
    const statsA = yield* a.stats
    const statsB = yield* b.stats
    return {
      deliveredToInbox: statsB.receivedMessages,
      receivedBytes: statsB.receivedBytes,
      droppedInboxFull: statsB.droppedInboxFull,
      receivedPerSecond: Math.round(received / elapsedS),
      megabytesPerSecond: Number((statsA.sentBytes / elapsedS / 1e6).toFixed(1)),
      sent: statsA.sentMessages,
      received,
      droppedQueueFull: statsA.droppedQueueFull
    }
  }).pipe(Effect.scoped)

export const loopbackBench = Effect.gen(function*() {
  const ping = yield* loopback({ _tag: "Ping", seq: 1, sentAtMs: 1 }, LOOPBACK_BENCH_MS)
  const append = yield* loopback(appendEntries(64, 100), LOOPBACK_BENCH_MS)
  return { ping, appendEntries64x100: append }
})

if (import.meta.url === pathToFileURL(process.argv[1] ?? "").href) {
  const round = (record: Record<string, number>) =>
    Object.fromEntries(Object.entries(record).map(([name, value]) => [name, Math.round(value)]))
  console.log("frames (AppendEntries 64 x 100 B):", round(frameBench()))
  console.log("loopback:", await Effect.runPromise(loopbackBench))
}
