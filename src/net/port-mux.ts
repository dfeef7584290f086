/**
 * One TCP listener per node, shared by clients, peers and admin calls. Each new connection is
 * sniffed: a peer link starts with `PEER_PREAMBLE` and goes to the peer handler (the transport);
 * anything else is handed, bytes intact, to the registered node:http server.
 *
 * Sniffing is bounded: at most one preamble's worth of bytes (for HTTP: one request line, up to
 * `maxRequestLineBytes`) plus the chunk that carried them is held, for at most `sniffTimeout`.
 * Silence or a missing handler close the socket; garbage goes to HTTP, which answers 400.
 */
import * as http from "node:http"
import * as net from "node:net"
import { Context, Data, Duration, Effect, Layer, type Scope } from "effect"
import { PEER_PREAMBLE, sniffPreamble } from "../wire/preamble.js"
import { hasRequestLine, normalizeRequestLine } from "./request-line.js"

export interface PortMuxOptions {
  /** The address from the servers file: 127.0.0.2 is a different listener from 127.0.0.1. */
  readonly host: string
  /** 0 picks a free port (tests). */
  readonly port: number
  /** How long a new connection may take to send enough bytes to be classified. */
  readonly sniffTimeout: Duration.DurationInput
  /** Upper bound on open connections of every kind; more are refused by the listener. */
  readonly maxConnections: number
  /** How many bytes of an HTTP connection are held while waiting for its first request line. */
  readonly maxRequestLineBytes: number
}

/** Receives a peer link; `head` holds the bytes that followed the preamble in the sniffed chunks. */
export type PeerConnectionHandler = (socket: net.Socket, head: Buffer) => void

export interface PortMuxStats {
  readonly accepted: number
  readonly peerConnections: number
  readonly httpConnections: number
  /** Closed while undecided: too slow, or no handler for their kind. */
  readonly sniffTimeouts: number
  readonly unhandled: number
}

export interface PortMuxShape {
  readonly host: string
  readonly port: number
  /** Routes peer links to `handler` for the lifetime of the scope. */
  readonly servePeers: (handler: PeerConnectionHandler) => Effect.Effect<void, never, Scope.Scope>
  /** Routes every non-peer connection to `server` for the lifetime of the scope. */
  readonly serveHttp: (server: http.Server) => Effect.Effect<void, never, Scope.Scope>
  readonly stats: Effect.Effect<PortMuxStats>
}

export class PortMuxError extends Data.TaggedError("PortMuxError")<{
  readonly address: string
  readonly cause: unknown
}> {
  override get message(): string {
    return `cannot listen on ${this.address}: ${String(this.cause)}`
  }
}

export class PortMux extends Context.Tag("troupe/PortMux")<PortMux, PortMuxShape>() {
  static readonly layer = (options: PortMuxOptions): Layer.Layer<PortMux, PortMuxError> =>
    Layer.scoped(PortMux, makePortMux(options))
}

interface Routes {
  peer: PeerConnectionHandler | undefined
  http: http.Server | undefined
}

type MutableStats = { -readonly [K in keyof PortMuxStats]: PortMuxStats[K] }

const listen = (server: net.Server, host: string, port: number): Effect.Effect<void, PortMuxError> =>
  Effect.async<void, PortMuxError>((resume) => {
    const onError = (cause: Error) => resume(Effect.fail(new PortMuxError({ address: `${host}:${port}`, cause })))
    server.once("error", onError)
    server.listen({ host, port, exclusive: true }, () => {
      server.off("error", onError)
      resume(Effect.void)
    })
  })

const closeServer = (server: net.Server, sockets: Set<net.Socket>): Effect.Effect<void> =>
  Effect.async<void>((resume) => {
    for (const socket of sockets) socket.destroy()
    sockets.clear()
    server.close(() => resume(Effect.void))
  })

/** Listens on host:port until the scope closes; closing also destroys every accepted socket. */
export const makePortMux = (options: PortMuxOptions): Effect.Effect<PortMuxShape, PortMuxError, Scope.Scope> =>
  Effect.gen(function*() {
    const routes: Routes = { peer: undefined, http: undefined }
    const stats: MutableStats = { accepted: 0, peerConnections: 0, httpConnections: 0, sniffTimeouts: 0, unhandled: 0 }
    const sockets = new Set<net.Socket>()
    const limits: SniffLimits = {
      timeoutMs: Duration.toMillis(Duration.decode(options.sniffTimeout)),
      maxRequestLineBytes: options.maxRequestLineBytes
    }
    const server = net.createServer({ noDelay: true }, (socket) => {
      stats.accepted++
      sockets.add(socket)
      socket.once("close", () => sockets.delete(socket))
      sniffConnection(socket, limits, routes, stats)
    })
    server.maxConnections = options.maxConnections
    yield* Effect.acquireRelease(listen(server, options.host, options.port), () => closeServer(server, sockets))
    const bound = server.address() as net.AddressInfo
    const register = <K extends keyof Routes>(key: K, value: NonNullable<Routes[K]>) =>
      Effect.acquireRelease(
        Effect.sync(() => {
          routes[key] = value
        }),
        () =>
          Effect.sync(() => {
            if (routes[key] === value) routes[key] = undefined
          })
      )
    return {
      host: options.host,
      port: bound.port,
      servePeers: (handler) => register("peer", handler),
      serveHttp: (httpServer) => register("http", httpServer),
      stats: Effect.sync(() => ({ ...stats }))
    } satisfies PortMuxShape
  })

const ignoreError = (): void => {}

interface SniffLimits {
  readonly timeoutMs: number
  readonly maxRequestLineBytes: number
}

const sniffConnection = (socket: net.Socket, limits: SniffLimits, routes: Routes, stats: MutableStats): void => {
  const chunks: Array<Buffer> = []
  let buffered = 0
  let isHttp = false
  const finish = (): Buffer => {
    clearTimeout(timer)
    socket.off("data", onData)
    socket.off("error", ignoreError)
    socket.pause()
    return chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks, buffered)
  }
  const onData = (chunk: Buffer): void => {
    chunks.push(chunk)
    buffered += chunk.length
    if (!isHttp) {
      // Undecided means fewer bytes than the preamble so far: this concat stays tiny.
      const kind = sniffPreamble(chunks.length === 1 ? chunk : Buffer.concat(chunks, buffered))
      if (kind === "undecided") return
      if (kind === "peer") return handToPeer(socket, finish().subarray(PEER_PREAMBLE.length), routes, stats)
      isHttp = true
      if (chunks.some(hasRequestLine)) return handToHttp(socket, normalizeRequestLine(finish()), routes, stats)
    } else if (hasRequestLine(chunk)) {
      return handToHttp(socket, normalizeRequestLine(finish()), routes, stats)
    }
    // Wait (bounded) for the whole first line, so it can be normalised before node:http parses it.
    if (buffered >= limits.maxRequestLineBytes) handToHttp(socket, finish(), routes, stats)
  }
  const timer = setTimeout(() => {
    const head = finish()
    if (isHttp) return handToHttp(socket, head, routes, stats)
    stats.sniffTimeouts++
    socket.destroy()
  }, limits.timeoutMs)
  socket.on("error", ignoreError)
  socket.on("data", onData)
}

const handToPeer = (socket: net.Socket, head: Buffer, routes: Routes, stats: MutableStats): void => {
  if (routes.peer === undefined) {
    stats.unhandled++
    socket.destroy()
    return
  }
  stats.peerConnections++
  routes.peer(socket, head)
}

const handToHttp = (socket: net.Socket, head: Buffer, routes: Routes, stats: MutableStats): void => {
  if (routes.http === undefined) {
    stats.unhandled++
    socket.destroy()
    return
  }
  stats.httpConnections++
  // The http server reads the sniffed bytes first, then the rest of the stream.
  socket.unshift(head)
  routes.http.emit("connection", socket)
  socket.resume()
}
