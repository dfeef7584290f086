import * as http from "node:http"
import * as net from "node:net"
import { describe, expect, it } from "@effect/vitest"
import { Duration, Effect, Exit, Scope } from "effect"
import type { TroupeConfig } from "../../config/schema.js"
import { defaultConfig } from "../../src/config/load.js"
import { makePortMux, PortMux, type PortMuxShape } from "../../src/net/port-mux.js"
import { makeTcpTransport, type TcpTransportShape, type TcpTransportStats } from "../../src/net/tcp-transport.js"
import type { PeerMessage } from "../../src/wire/messages.js"
import { PEER_PREAMBLE } from "../../src/wire/preamble.js"

const baseConfig = defaultConfig()
const testConfig = (wire: Partial<TroupeConfig["wire"]> = {}, secret = baseConfig.secret): TroupeConfig => ({
  ...baseConfig,
  secret,
  wire: { ...baseConfig.wire, reconnectBase: Duration.millis(10), reconnectMax: Duration.millis(50), ...wire }
})

interface Peer {
  readonly id: string
  readonly host: string
  readonly port: number
}

const listenMux = (host: string, port: number) =>
  makePortMux({ host, port, sniffTimeout: "1 second", maxConnections: 64, maxRequestLineBytes: 4096 })

const startNode = (mux: PortMuxShape, config: TroupeConfig, peers: ReadonlyArray<Peer>) =>
  makeTcpTransport({ config, self: { id: `${mux.host}:${mux.port}`, host: mux.host }, peers }).pipe(
    Effect.provideService(PortMux, mux)
  )

/** Polls `read` until `done` holds; bounded (2 s of 10 ms steps) so a broken link fails the test. */
const eventually = <A>(read: Effect.Effect<A>, done: (value: A) => boolean) =>
  Effect.gen(function*() {
    for (let attempt = 0; attempt < 200; attempt++) {
      const value = yield* read
      if (done(value)) return value
      yield* Effect.sleep("10 millis")
    }
    return yield* Effect.die(new Error(`condition not met; last value: ${JSON.stringify(yield* read)}`))
  })

const ping = (seq: number): PeerMessage => ({ _tag: "Ping", seq, sentAtMs: seq * 10 })

const receiveN = (transport: TcpTransportShape, count: number, within: Duration.DurationInput = "3 seconds") =>
  Effect.forEach(Array.from({ length: count }), () => transport.receive).pipe(Effect.timeout(within))

describe("TcpTransport", () => {
  it.scopedLive("two nodes on 127.0.0.1 and 127.0.0.2 share a port number and exchange messages", () =>
    Effect.gen(function*() {
      const muxA = yield* listenMux("127.0.0.1", 0)
      const muxB = yield* listenMux("127.0.0.2", muxA.port)
      const a = { id: `127.0.0.1:${muxA.port}`, host: "127.0.0.1", port: muxA.port }
      const b = { id: `127.0.0.2:${muxA.port}`, host: "127.0.0.2", port: muxA.port }
      const config = testConfig()
      const nodeA = yield* startNode(muxA, config, [a, b])
      const nodeB = yield* startNode(muxB, config, [a, b])
      for (let seq = 0; seq < 100; seq++) yield* nodeA.send(b.id, ping(seq))
      const atB = yield* receiveN(nodeB, 100)
      expect(atB.map((inbound) => inbound.from)).toEqual(Array(100).fill(a.id))
      expect(atB.map((inbound) => inbound.message)).toEqual(Array.from({ length: 100 }, (_, seq) => ping(seq)))
      yield* nodeB.send(a.id, { _tag: "Pong", seq: 7, sentAtMs: 70 })
      const [atA] = yield* receiveN(nodeA, 1)
      expect(atA).toEqual({ from: b.id, message: { _tag: "Pong", seq: 7, sentAtMs: 70 } })
      const statsA = yield* nodeA.stats
      const statsB = yield* nodeB.stats
      expect(statsA.sentMessages).toBe(100)
      expect(statsB.receivedMessages).toBe(100)
      expect(statsB.receivedBytes).toBe(statsA.sentBytes)
      expect(statsA.connectedPeers).toEqual([b.id])
      expect(statsB.rejectedFrames).toBe(0)
    }))

  it.scopedLive("a burst larger than the socket buffer arrives whole and in order", () =>
    Effect.gen(function*() {
      const muxA = yield* listenMux("127.0.0.1", 0)
      const muxB = yield* listenMux("127.0.0.2", muxA.port)
      const a = { id: `127.0.0.1:${muxA.port}`, host: "127.0.0.1", port: muxA.port }
      const b = { id: `127.0.0.2:${muxA.port}`, host: "127.0.0.2", port: muxA.port }
      const nodeA = yield* startNode(muxA, testConfig(), [a, b])
      const nodeB = yield* startNode(muxB, testConfig(), [a, b])
      const count = 1000
      const forward = (requestId: number): PeerMessage => ({ _tag: "Forward", requestId, actor: "kv", request: String(requestId).padEnd(20_000, "x") })
      for (let requestId = 0; requestId < count; requestId++) yield* nodeA.send(b.id, forward(requestId))
      const received = yield* receiveN(nodeB, count, "15 seconds")
      expect(received.map((inbound) => inbound.message)).toEqual(Array.from({ length: count }, (_, id) => forward(id)))
      expect((yield* nodeA.stats).droppedQueueFull).toBe(0)
    }), 20_000)

  it.scopedLive("peer links and HTTP clients share the node's one port", () =>
    Effect.gen(function*() {
      const muxA = yield* listenMux("127.0.0.1", 0)
      const muxB = yield* listenMux("127.0.0.2", muxA.port)
      yield* muxB.serveHttp(http.createServer({ requireHostHeader: false }, (request, response) => response.end(`B saw ${request.url}`)))
      const a = { id: `127.0.0.1:${muxA.port}`, host: "127.0.0.1", port: muxA.port }
      const b = { id: `127.0.0.2:${muxA.port}`, host: "127.0.0.2", port: muxA.port }
      const nodeA = yield* startNode(muxA, testConfig(), [a, b])
      const nodeB = yield* startNode(muxB, testConfig(), [a, b])
      yield* nodeA.send(b.id, ping(1))
      const body = yield* Effect.tryPromise(() => fetch(`http://${b.id}/key`).then((response) => response.text()))
      expect(body).toBe("B saw /key")
      expect(yield* receiveN(nodeB, 1)).toEqual([{ from: a.id, message: ping(1) }])
      const stats = yield* muxB.stats
      expect(stats.httpConnections).toBe(1)
      expect(stats.peerConnections).toBe(1)
    }))

  it.scopedLive("a node with the wrong secret is rejected: frames counted as bad-auth, nothing delivered", () =>
    Effect.gen(function*() {
      const muxB = yield* listenMux("127.0.0.2", 0)
      const muxC = yield* listenMux("127.0.0.3", 0)
      const b = { id: `127.0.0.2:${muxB.port}`, host: "127.0.0.2", port: muxB.port }
      const c = { id: `127.0.0.3:${muxC.port}`, host: "127.0.0.3", port: muxC.port }
      const nodeB = yield* startNode(muxB, testConfig(), [b, c])
      const stranger = yield* startNode(muxC, testConfig({}, "not-the-cluster-secret"), [b, c])
      for (let seq = 0; seq < 5; seq++) yield* stranger.send(b.id, ping(seq))
      const stats = yield* eventually(nodeB.stats, (s) => s.rejectedByReason["bad-auth"] === 5)
      expect(stats.receivedMessages).toBe(0)
      expect(stats.rejectedFrames).toBe(5)
      // Nothing from the stranger reached the inbox.
      const nothing = yield* nodeB.receive.pipe(Effect.timeout("50 millis"), Effect.option)
      expect(nothing._tag).toBe("None")
    }))

  it.scopedLive("reconnects after the peer restarts on the same address", () =>
    Effect.gen(function*() {
      const muxA = yield* listenMux("127.0.0.1", 0)
      const firstLife = yield* Scope.make()
      const muxB = yield* listenMux("127.0.0.4", 0).pipe(Scope.extend(firstLife))
      const a = { id: `127.0.0.1:${muxA.port}`, host: "127.0.0.1", port: muxA.port }
      const b = { id: `127.0.0.4:${muxB.port}`, host: "127.0.0.4", port: muxB.port }
      const nodeA = yield* startNode(muxA, testConfig(), [a, b])
      const nodeB = yield* startNode(muxB, testConfig(), [a, b]).pipe(Scope.extend(firstLife))
      yield* nodeA.send(b.id, ping(1))
      expect(yield* receiveN(nodeB, 1)).toEqual([{ from: a.id, message: ping(1) }])
      yield* Scope.close(firstLife, Exit.void)
      yield* eventually(nodeA.stats, (s) => s.disconnects >= 1)
      const muxB2 = yield* listenMux("127.0.0.4", b.port)
      const nodeB2 = yield* startNode(muxB2, testConfig(), [a, b])
      // Keep sending (as Raft would) until the new incarnation hears it.
      const heard = yield* Effect.gen(function*() {
        for (let seq = 2; seq < 200; seq++) {
          yield* nodeA.send(b.id, ping(seq))
          const got = yield* nodeB2.receive.pipe(Effect.timeout("10 millis"), Effect.option)
          if (got._tag === "Some") return got.value
        }
        return yield* Effect.die(new Error("never reconnected"))
      })
      expect(heard.from).toBe(a.id)
      const stats = yield* nodeA.stats
      expect(stats.connects).toBeGreaterThanOrEqual(2)
    }))

  it.scopedLive("closing a transport's scope closes its sockets and frees its port", () =>
    Effect.gen(function*() {
      const muxB = yield* listenMux("127.0.0.2", 0)
      const scopeA = yield* Scope.make()
      const muxA = yield* listenMux("127.0.0.1", muxB.port).pipe(Scope.extend(scopeA))
      const a = { id: `127.0.0.1:${muxB.port}`, host: "127.0.0.1", port: muxB.port }
      const b = { id: `127.0.0.2:${muxB.port}`, host: "127.0.0.2", port: muxB.port }
      const nodeB = yield* startNode(muxB, testConfig(), [a, b])
      const nodeA = yield* startNode(muxA, testConfig(), [a, b]).pipe(Scope.extend(scopeA))
      yield* nodeA.send(b.id, ping(1))
      yield* nodeB.send(a.id, ping(2))
      yield* receiveN(nodeB, 1)
      yield* receiveN(nodeA, 1)
      expect((yield* nodeB.stats).inboundOpen).toBe(1)
      yield* Scope.close(scopeA, Exit.void)
      // A's outbound socket is gone (B's inbound closes), and so are A's inbound one and its listener.
      yield* eventually(nodeB.stats, (s) => s.inboundOpen === 0 && s.disconnects === 1)
      yield* listenMux("127.0.0.1", muxB.port)
    }))

  it.scopedLive("a full per-peer queue drops and counts without blocking the caller", () =>
    Effect.gen(function*() {
      const muxA = yield* listenMux("127.0.0.1", 0)
      const a = { id: `127.0.0.1:${muxA.port}`, host: "127.0.0.1", port: muxA.port }
      // Nobody listens on 127.0.0.5: every connect is refused, the slow schedule keeps the link down.
      const down = { id: `127.0.0.5:${muxA.port}`, host: "127.0.0.5", port: muxA.port }
      const nodeA = yield* startNode(muxA, testConfig({ peerSendQueueCapacity: 4, reconnectBase: Duration.minutes(1), reconnectMax: Duration.minutes(1) }), [a, down])
      yield* nodeA.send(down.id, ping(0))
      // The link has taken the first message and is now waiting to reconnect.
      yield* eventually(nodeA.stats, (s) => s.connectFailures >= 1)
      for (let seq = 1; seq <= 10; seq++) yield* nodeA.send(down.id, ping(seq))
      const stats: TcpTransportStats = yield* nodeA.stats
      expect(stats.droppedQueueFull).toBe(6)
      expect(stats.sentMessages).toBe(0)
      yield* nodeA.send("127.0.0.9:1", ping(99))
      expect((yield* nodeA.stats).droppedUnknownPeer).toBe(1)
    }))

  it.scopedLive("a peer link announcing an oversized frame is cut, and the node keeps serving", () =>
    Effect.gen(function*() {
      const config = testConfig({ maxFrameBytes: 4096 })
      const muxB = yield* listenMux("127.0.0.2", 0)
      const b = { id: `127.0.0.2:${muxB.port}`, host: "127.0.0.2", port: muxB.port }
      const nodeB = yield* startNode(muxB, config, [b])
      const closed = yield* Effect.async<boolean>((resume) => {
        const socket = net.connect({ host: b.host, port: b.port })
        const length = Buffer.alloc(4)
        length.writeUInt32BE(10_000_000)
        socket.on("connect", () => socket.write(Buffer.concat([PEER_PREAMBLE, length])))
        socket.on("error", () => {})
        socket.on("close", () => resume(Effect.succeed(true)))
        return Effect.sync(() => socket.destroy())
      }).pipe(Effect.timeout("3 seconds"))
      expect(closed).toBe(true)
      const stats = yield* nodeB.stats
      expect(stats.rejectedByReason["too-large"]).toBe(1)
      expect(stats.receivedMessages).toBe(0)
    }))

  it.scopedLive("a message whose frame exceeds maxFrameBytes is dropped by the sender and counted", () =>
    Effect.gen(function*() {
      const config = testConfig({ maxFrameBytes: 1024 })
      const muxA = yield* listenMux("127.0.0.1", 0)
      const muxB = yield* listenMux("127.0.0.2", muxA.port)
      const a = { id: `127.0.0.1:${muxA.port}`, host: "127.0.0.1", port: muxA.port }
      const b = { id: `127.0.0.2:${muxA.port}`, host: "127.0.0.2", port: muxA.port }
      const nodeA = yield* startNode(muxA, config, [a, b])
      const nodeB = yield* startNode(muxB, config, [a, b])
      yield* nodeA.send(b.id, { _tag: "Forward", requestId: 1, actor: "kv", request: "x".repeat(2000) })
      yield* nodeA.send(b.id, ping(1))
      expect(yield* receiveN(nodeB, 1)).toEqual([{ from: a.id, message: ping(1) }])
      const stats = yield* nodeA.stats
      expect(stats.droppedTooLarge).toBe(1)
      expect((yield* nodeB.stats).rejectedFrames).toBe(0)
    }))
})
