import * as net from "node:net"
import { describe, expect, it } from "@effect/vitest"
import { Chunk, Clock, Deferred, Duration, Effect, TestClock } from "effect"
import { defaultConfig } from "../../src/config/load.js"
import { emptyLinkCounters, type LinkCounters, makePeerLink, type PeerLinkOptions } from "../../src/net/peer-link.js"
import { reconnectSchedule } from "../../src/net/reconnect.js"
import { FrameDecoder, frameKey } from "../../src/wire/frame.js"
import type { PeerMessage } from "../../src/wire/messages.js"
import { PEER_PREAMBLE } from "../../src/wire/preamble.js"

const config = defaultConfig()
const key = frameKey(config.secret)

const linkOptions = (port: number, wire = config.wire): PeerLinkOptions => ({
  self: "127.0.0.3:1",
  selfHost: "127.0.0.3",
  peer: { id: `127.0.0.2:${port}`, host: "127.0.0.2", port },
  clusterId: config.clusterId,
  key,
  maxFrameBytes: config.wire.maxFrameBytes,
  queueCapacity: 16,
  reconnect: reconnectSchedule(wire),
  connectTimeout: "1 second"
})

/** Waits in real time (socket events need the event loop) until `done`; bounded to ~2 s. */
const untilReal = (done: () => boolean) =>
  Effect.gen(function*() {
    for (let attempt = 0; attempt < 400 && !done(); attempt++) {
      yield* Effect.promise(() => new Promise((resolve) => setTimeout(resolve, 5)))
    }
    expect(done()).toBe(true)
  })

const untilRealEffect = (done: Effect.Effect<boolean>) =>
  Effect.gen(function*() {
    for (let attempt = 0; attempt < 400; attempt++) {
      if (yield* done) return
      yield* Effect.promise(() => new Promise((resolve) => setTimeout(resolve, 5)))
    }
    expect(yield* done).toBe(true)
  })

const ping = (seq: number): PeerMessage => ({ _tag: "Ping", seq, sentAtMs: 0 })

describe("PeerLink", () => {
  it.scopedLive("connects from its own address, sends the preamble, then frames in order", () =>
    Effect.gen(function*() {
      const options = { remote: "", preamble: Buffer.alloc(0) }
      const got = yield* Deferred.make<ReadonlyArray<PeerMessage>>()
      const server = net.createServer((socket) => {
        options.remote = socket.remoteAddress ?? ""
        const decoder = new FrameDecoder({ key, clusterId: config.clusterId, self: `127.0.0.2:${port()}`, maxFrameBytes: 1 << 20 })
        const messages: Array<PeerMessage> = []
        let head = Buffer.alloc(0)
        socket.on("data", (chunk: Buffer) => {
          if (head.length < PEER_PREAMBLE.length) {
            head = Buffer.concat([head, chunk])
            if (head.length < PEER_PREAMBLE.length) return
            options.preamble = head.subarray(0, PEER_PREAMBLE.length)
            chunk = head.subarray(PEER_PREAMBLE.length)
          }
          for (const result of decoder.feed(chunk)) if (result._tag === "Frame") messages.push(result.message)
          if (messages.length === 10) Deferred.unsafeDone(got, Effect.succeed(messages))
        })
      })
      const port = () => (server.address() as net.AddressInfo).port
      yield* Effect.acquireRelease(
        Effect.async<void>((resume) => void server.listen({ host: "127.0.0.2", port: 0 }, () => resume(Effect.void))),
        () => Effect.sync(() => server.close())
      )
      const counters = emptyLinkCounters()
      const link = yield* makePeerLink(linkOptions(port()), counters)
      for (let seq = 0; seq < 10; seq++) expect(link.offer(ping(seq))).toBe(true)
      const messages = yield* Deferred.await(got).pipe(Effect.timeout("3 seconds"))
      expect(messages).toEqual(Array.from({ length: 10 }, (_, seq) => ping(seq)))
      expect(options.remote).toBe("127.0.0.3")
      expect(options.preamble.equals(PEER_PREAMBLE)).toBe(true)
      expect(counters.sentMessages).toBe(10)
      expect(link.isConnected()).toBe(true)
    }))

  it.scoped("retries a refused connect only when the reconnect schedule (TestClock) says so", () =>
    Effect.gen(function*() {
      const wire = { ...config.wire, reconnectBase: Duration.seconds(1), reconnectMax: Duration.seconds(4) }
      // A port nobody listens on: bind one, note it, close it.
      const port = yield* Effect.async<number>((resume) => {
        const probe = net.createServer().listen({ host: "127.0.0.2", port: 0 }, () => {
          const free = (probe.address() as net.AddressInfo).port
          probe.close(() => resume(Effect.succeed(free)))
        })
      })
      const counters: LinkCounters = emptyLinkCounters()
      // A connect timeout far beyond the test, so the only pending TestClock sleep is the retry pause.
      const link = yield* makePeerLink({ ...linkOptions(port, wire), connectTimeout: "1 hour" }, counters)
      link.offer(ping(1))
      /** Waits for failure `failures` and its retry pause; checks the pause is nominal x 0.8..1.2. */
      const pendingPauseMs = (failures: number, nominalMs: number) =>
        Effect.gen(function*() {
          let pauseMs: number | undefined
          yield* untilRealEffect(Effect.gen(function*() {
            const now = yield* Clock.currentTimeMillis
            const wakes = Chunk.toReadonlyArray(yield* TestClock.sleeps()).filter((wake) => wake - now < 60_000)
            pauseMs = wakes.length === 1 ? wakes[0]! - now : undefined
            return counters.connectFailures === failures && pauseMs !== undefined
          }))
          expect(pauseMs!).toBeGreaterThanOrEqual(nominalMs * 0.8)
          expect(pauseMs!).toBeLessThanOrEqual(nominalMs * 1.2)
          return pauseMs!
        })
      let pauseMs = yield* pendingPauseMs(1, 1000)
      yield* TestClock.adjust(Duration.millis(pauseMs - 5))
      // Give a (wrongly) early retry the real time it would need to show up.
      yield* Effect.promise(() => new Promise((resolve) => setTimeout(resolve, 30)))
      expect(counters.connectFailures).toBe(1)
      yield* TestClock.adjust(Duration.millis(5))
      for (const [nominalMs, failures] of [[2000, 2], [4000, 3], [4000, 4]] as const) {
        pauseMs = yield* pendingPauseMs(failures, nominalMs)
        yield* TestClock.adjust(Duration.millis(pauseMs))
      }
      yield* untilReal(() => counters.connectFailures === 5)
      expect(counters.connects).toBe(0)
      expect(link.isConnected()).toBe(false)
    }))
})
