import * as http from "node:http"
import * as net from "node:net"
import { describe, expect, it } from "@effect/vitest"
import { Deferred, Effect } from "effect"
import { makePortMux, type PortMuxShape } from "../../src/net/port-mux.js"
import { PEER_PREAMBLE, sniffPreamble } from "../../src/wire/preamble.js"

const HOST = "127.0.0.1"

const muxWithHttp = Effect.gen(function*() {
  const mux = yield* makePortMux({ host: HOST, port: 0, sniffTimeout: "300 millis", maxConnections: 64, maxRequestLineBytes: 4096 })
  const server = http.createServer({ requireHostHeader: false }, (request, response) => {
    const body = `echo ${request.method} ${request.url}`
    response.writeHead(200, { "Content-Type": "text/plain", "Content-Length": Buffer.byteLength(body) })
    response.end(body)
  })
  yield* mux.serveHttp(server)
  return mux
})

/** Sends raw bytes (20 ms apart; a number is an extra pause in ms), collects the reply until the server closes or `until` matches. */
const rawExchange = (mux: PortMuxShape, chunks: ReadonlyArray<string | Buffer | number>, until: RegExp) =>
  Effect.async<string>((resume) => {
    const socket = net.connect({ host: HOST, port: mux.port })
    let received = ""
    const done = () => {
      socket.destroy()
      resume(Effect.succeed(received))
    }
    socket.on("data", (chunk) => {
      received += chunk.toString("latin1")
      if (until.test(received)) done()
    })
    socket.on("error", done)
    socket.on("close", done)
    socket.on("connect", () => {
      let delayMs = 0
      for (const chunk of chunks) {
        if (typeof chunk === "number") delayMs += chunk
        else setTimeout(() => socket.write(chunk), (delayMs += 20))
      }
    })
    return Effect.sync(() => socket.destroy())
  }).pipe(Effect.timeout("3 seconds"))

describe("sniffPreamble", () => {
  it("tells peer, http and undecided apart", () => {
    expect(sniffPreamble(Buffer.alloc(0))).toBe("undecided")
    expect(sniffPreamble(Buffer.from("TROU"))).toBe("undecided")
    expect(sniffPreamble(PEER_PREAMBLE)).toBe("peer")
    expect(sniffPreamble(Buffer.concat([PEER_PREAMBLE, Buffer.from([1, 2, 3])]))).toBe("peer")
    expect(sniffPreamble(Buffer.from("GET / HTTP/1.1"))).toBe("http")
    expect(sniffPreamble(Buffer.from("TROUPE/2\n"))).toBe("http")
    expect(sniffPreamble(Buffer.from("TRACE / HTTP/1.1"))).toBe("http")
  })
})

describe("PortMux", () => {
  it.scopedLive("answers HTTP with and without a Host header on the shared port", () =>
    Effect.gen(function*() {
      const mux = yield* muxWithHttp
      const withHost = yield* rawExchange(mux, ["GET /k HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n"], /echo GET/)
      expect(withHost).toMatch(/^HTTP\/1\.1 200 OK/)
      expect(withHost).toContain("echo GET /k")
      const bare = yield* rawExchange(mux, ["GET key HTTP/1.1\r\n\r\n"], /echo GET \/key/)
      expect(bare).toMatch(/^HTTP\/1\.1 200 OK/)
      // Split into chunks shorter than the preamble: still routed to HTTP once decided.
      const split = yield* rawExchange(mux, ["G", "ET /a HT", "TP/1.1\r\n\r\n"], /echo GET \/a/)
      expect(split).toContain("echo GET /a")
      // Two pipelined requests in one write: nothing sniffed is lost.
      const pipelined = yield* rawExchange(mux, ["GET /one HTTP/1.1\r\n\r\nGET /two HTTP/1.1\r\n\r\n"], /echo GET \/two/)
      expect(pipelined).toContain("echo GET /one")
      expect(pipelined).toContain("echo GET /two")
      const stats = yield* mux.stats
      expect(stats.httpConnections).toBe(4)
      expect(stats.peerConnections).toBe(0)
    }))

  it.scopedLive("streams a large request body through the handed-over socket intact", () =>
    Effect.gen(function*() {
      const mux = yield* makePortMux({ host: HOST, port: 0, sniffTimeout: "1 second", maxConnections: 8, maxRequestLineBytes: 4096 })
      const server = http.createServer({ requireHostHeader: false }, (request, response) => {
        let bytes = 0
        let sum = 0
        request.on("data", (chunk: Buffer) => {
          bytes += chunk.length
          for (const byte of chunk) sum = (sum + byte) % 65521
        })
        request.on("end", () => response.end(`${bytes}/${sum}`))
      })
      yield* mux.serveHttp(server)
      const body = Buffer.alloc(2 * 1024 * 1024, 0).map((_, index) => (index * 7) % 251)
      let expectedSum = 0
      for (const byte of body) expectedSum = (expectedSum + byte) % 65521
      const reply = yield* Effect.tryPromise(() =>
        fetch(`http://${HOST}:${mux.port}/upload`, { method: "POST", body }).then((response) => response.text())
      ).pipe(Effect.timeout("5 seconds"))
      expect(reply).toBe(`${body.length}/${expectedSum}`)
    }))

  it.scopedLive("routes a peer link, preamble split across chunks, with the bytes after it", () =>
    Effect.gen(function*() {
      const mux = yield* muxWithHttp
      const received = yield* Deferred.make<string>()
      yield* mux.servePeers((socket, head) => {
        let text = head.toString("latin1")
        socket.on("data", (chunk: Buffer) => {
          text += chunk.toString("latin1")
          if (text.endsWith("END")) Deferred.unsafeDone(received, Effect.succeed(text))
        })
        socket.resume()
      })
      const preamble = PEER_PREAMBLE.toString("latin1")
      yield* Effect.fork(rawExchange(mux, [preamble.slice(0, 3), preamble.slice(3) + "hello", " END"], /never/))
      const text = yield* Deferred.await(received).pipe(Effect.timeout("3 seconds"))
      expect(text).toBe("hello END")
      const stats = yield* mux.stats
      expect(stats.peerConnections).toBe(1)
    }))

  it.scopedLive("closes connections that stay undecided or send garbage, and keeps serving", () =>
    Effect.gen(function*() {
      const mux = yield* muxWithHttp
      // A strict prefix of the preamble, then silence: closed after the sniff timeout.
      const silent = yield* rawExchange(mux, ["TROUP"], /never/)
      expect(silent).toBe("")
      // A request line trickled byte by byte and stalled past the sniff timeout: handed over to
      // HTTP at the timeout with its bytes intact.
      const stalled = yield* rawExchange(mux, ["G", "E", "T", " /k", 400, " HTTP/1.1\r\n\r\n"], /echo GET \/k/)
      expect(stalled).toContain("echo GET /k")
      // Binary garbage is handed to HTTP, which answers 400 and closes.
      const garbage = yield* rawExchange(mux, [Buffer.from([0, 255, 13, 10, 13, 10, 7])], /never/)
      expect(garbage).toMatch(/^HTTP\/1\.1 400/)
      const stats = yield* mux.stats
      expect(stats.sniffTimeouts).toBe(1)
      expect(stats.httpConnections).toBe(2)
      const after = yield* rawExchange(mux, ["GET /still HTTP/1.1\r\n\r\n"], /echo GET \/still/)
      expect(after).toContain("echo GET /still")
    }))

  it.scopedLive("refuses peer links when no peer handler is registered", () =>
    Effect.gen(function*() {
      const mux = yield* muxWithHttp
      const reply = yield* rawExchange(mux, [PEER_PREAMBLE], /never/)
      expect(reply).toBe("")
      expect((yield* mux.stats).unhandled).toBe(1)
    }))

  it.effect("fails with a typed error when the address is taken", () =>
    Effect.gen(function*() {
      const first = yield* makePortMux({ host: HOST, port: 0, sniffTimeout: "1 second", maxConnections: 4, maxRequestLineBytes: 4096 })
      const second = yield* Effect.flip(
        makePortMux({ host: HOST, port: first.port, sniffTimeout: "1 second", maxConnections: 4, maxRequestLineBytes: 4096 })
      )
      expect(second._tag).toBe("PortMuxError")
      expect(second.message).toContain(`${HOST}:${first.port}`)
    }).pipe(Effect.scoped))
})
