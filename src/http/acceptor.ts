/**
 * The acceptor role's HTTP face: KV (DESIGN.md item 2), /status, /metrics and the admin calls
 * (GetLeader, Suspend). It runs on node:http (handed connections by the port mux), bounds the
 * requests in flight (503 past the limit), and answers every error as `ERROR: reason` text.
 */
import * as http from "node:http"
import { Cause, Duration, Effect, Exit, Option, Runtime } from "effect"
import type { TroupeConfig } from "../../config/schema.js"
import type { KvRequest, KvResult } from "../../actors/kv/commands.js"
import { failureStatus, type KvFailure } from "../node/kv-service.js"
import { KeyedFifo } from "../runtime/keyed-fifo.js"
import type { Replica } from "../node/replica.js"
import { type Route, route } from "./route.js"

export interface AcceptorOptions {
  readonly replica: Replica
  readonly config: TroupeConfig
  /** Extra fields for /status (transport stats, transfer sessions, ...). */
  readonly extraStatus?: () => Effect.Effect<Record<string, unknown>>
  /** More Prometheus lines for /metrics (transport and storage counters, ...). */
  readonly extraMetrics?: () => Effect.Effect<string>
  /** Handles POST /rpc (the typed SDK), if the node serves it. */
  readonly rpc?: (request: http.IncomingMessage, response: http.ServerResponse) => void
}

interface Answer {
  readonly status: number
  readonly body: string
  readonly contentType?: string
}

const text = (status: number, body: string): Answer => ({ status, body })
const json = (value: unknown): Answer => ({ status: 200, body: JSON.stringify(value, null, 2) + "\n", contentType: "application/json" })

/** Head and body leave in one writev either way; a string body skips a Buffer copy per answer. */
const send = (response: http.ServerResponse, answer: Answer, leader: string | null): void => {
  const headers: http.OutgoingHttpHeaders = {
    "content-type": answer.contentType ?? "text/plain; charset=utf-8",
    "content-length": Buffer.byteLength(answer.body, "utf8")
  }
  if (leader !== null) headers["x-troupe-leader"] = leader
  response.writeHead(answer.status, headers)
  response.end(answer.body, "utf8")
}

const formatValue = (key: string, result: KvResult): Answer => {
  switch (result._tag) {
    case "value":
      return text(200, `${key}=${result.value ?? "NIL"}`)
    case "refused":
      return text(409, `ERROR: ${result.reason}`)
    default:
      return text(500, "ERROR: unexpected answer from the state machine")
  }
}

const failure = (error: KvFailure): Answer => text(failureStatus(error), `ERROR: ${error.message}`)

/** Exactly-once identity of a write from troupe's own clients (absent for plain HTTP clients). */
const sessionOf = (request: http.IncomingMessage): { client?: string; seq?: number } => {
  const client = request.headers["x-troupe-client"]
  const seq = Number(request.headers["x-troupe-seq"])
  if (typeof client !== "string" || client.length === 0 || client.length > 64 || !Number.isSafeInteger(seq) || seq < 1) {
    return {}
  }
  return { client, seq }
}

export const makeAcceptor = (options: AcceptorOptions) =>
  Effect.gen(function*() {
    const { config, replica } = options
    const runtime = yield* Effect.runtime<never>()
    const runCallback = Runtime.runCallback(runtime)
    const limits = config.http
    let inFlight = 0

    const executeKv = (key: string, request: KvRequest) =>
      replica.kv.execute(request).pipe(Effect.match({ onFailure: failure, onSuccess: (result) => formatValue(key, result) }))

    const status = Effect.gen(function*() {
      const raft = yield* replica.raft.status
      const peers = yield* replica.detector.view
      const extra = options.extraStatus === undefined ? {} : yield* options.extraStatus()
      return json({ ...raft, id: replica.self, peers, inFlightRequests: inFlight, ...extra })
    })

    const answer = (target: Route, request: http.IncomingMessage): Effect.Effect<Answer> => {
      switch (target._tag) {
        case "Get":
          return executeKv(target.key, { _tag: "get", key: target.key })
        case "Put":
          return executeKv(target.key, { _tag: "put", key: target.key, value: target.value, ...sessionOf(request) })
        case "Status":
          return status
        case "Metrics":
          return Effect.map(options.extraMetrics?.() ?? Effect.succeed(""), (extra) => ({
            status: 200, body: replica.metrics.render() + extra, contentType: "text/plain; version=0.0.4"
          }))
        case "GetLeader":
          return Effect.map(replica.raft.status, (raft) => json({ leader: raft.leader, term: raft.term, id: replica.self }))
        case "Suspend":
          return Effect.as(replica.raft.suspend(Duration.seconds(target.seconds)), text(200, `suspended for ${target.seconds} s`))
        case "Rpc":
          return Effect.succeed(text(404, "ERROR: this node does not serve /rpc"))
        case "Invalid":
          return Effect.succeed(text(target.status, `ERROR: ${target.reason}`))
      }
    }

    const timeoutMs = Duration.toMillis(limits.requestTimeout)
    const timedOut = text(503, "ERROR: request timed out inside the cluster (outcome unknown)")
    const internalError = text(500, "ERROR: internal error")
    const rejected = replica.metrics.counterFor("troupe_http_rejected_total", "HTTP requests refused for overload")
    const latency = replica.metrics.histogramFor("troupe_http_request_seconds", "HTTP request latency")
    const answeredByStatus = new Map<number, (by?: number) => void>()
    const countAnswer = (status: number) => {
      let inc = answeredByStatus.get(status)
      if (inc === undefined) {
        inc = replica.metrics.counterFor("troupe_http_requests_total", "HTTP requests answered", { status: String(status) })
        answeredByStatus.set(status, inc)
      }
      inc()
    }

    /**
     * Requests waiting for an answer, oldest first, and one sweep timer while any wait: a timer
     * per request would cost more than the rest of a read. Not a Set: see KeyedFifo.
     */
    const waiting = new KeyedFifo<{ readonly deadlineMs: number; readonly finish: (answer: Answer) => void }>()
    let nextRequestSeq = 1
    const sweepEveryMs = Math.max(1, Math.min(250, timeoutMs / 4))
    let sweeper: ReturnType<typeof setInterval> | undefined
    const sweep = () => {
      const now = performance.now()
      // finish takes the request out, so the next one comes to the front.
      for (let request = waiting.firstValue(); request !== undefined && request.deadlineMs <= now; request = waiting.firstValue()) {
        request.finish(timedOut)
      }
      if (waiting.size === 0 && sweeper !== undefined) {
        clearInterval(sweeper)
        sweeper = undefined
      }
    }

    /**
     * The hot path: a request the leader can serve is handed to the Raft loop with a callback
     * (no fiber); anything else is one Effect run, answered from its exit callback.
     */
    const handle = (request: http.IncomingMessage, response: http.ServerResponse): void => {
      if (request.method === "POST" && request.url === "/rpc" && options.rpc !== undefined) return options.rpc(request, response)
      const startedMs = performance.now()
      if (inFlight >= limits.maxInflightRequests) {
        rejected()
        return send(response, text(503, `ERROR: too many requests in flight (limit ${limits.maxInflightRequests})`), null)
      }
      inFlight++
      request.resume() // a GET has no body worth reading; drain anything sent anyway
      const seq = nextRequestSeq++
      const pending = {
        deadlineMs: startedMs + timeoutMs,
        finish: (result: Answer) => {
          if (waiting.take(seq) === undefined) return
          inFlight--
          send(response, result, replica.raft.statusNow().leader)
          countAnswer(result.status)
          latency(performance.now() - startedMs)
        }
      }
      waiting.push(seq, pending)
      // Unref'd: the server's own handles keep the process alive while it serves.
      sweeper ??= setInterval(sweep, sweepEveryMs).unref()
      const finish = pending.finish
      const target = route(request.method ?? "GET", request.url ?? "/")
      if (target._tag === "Get" || target._tag === "Put") {
        const kvRequest: KvRequest = target._tag === "Get"
          ? { _tag: "get", key: target.key }
          : { _tag: "put", key: target.key, value: target.value, ...sessionOf(request) }
        const servedHere = replica.kv.executeNow(kvRequest, (exit) =>
          finish(Exit.match(exit, {
            onSuccess: (result) => formatValue(target.key, result),
            onFailure: (cause) => Option.match(Cause.failureOption(cause), { onNone: () => internalError, onSome: failure })
          })))
        if (servedHere) return
      }
      runCallback(answer(target, request), {
        onExit: (exit) => finish(Exit.isSuccess(exit) ? exit.value : internalError)
      })
    }

    const server = http.createServer({
      requireHostHeader: false,
      keepAlive: true,
      maxHeaderSize: limits.maxRequestBytes,
      requestTimeout: 0
    }, handle)
    return { server, inFlight: () => inFlight }
  })
