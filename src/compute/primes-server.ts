/**
 * The Lab02 service: a TCP line protocol. Each line holds a number; the answer line is
 * `N is prime` / `N is not prime`, or `ERROR: reason` for bad input. Every connection is served
 * concurrently on its own fiber, answers in order, and the numbers are tested on the worker
 * pool. Closing the scope closes the listener and every connection.
 */
import * as net from "node:net"
import { Data, Effect, Fiber, Runtime, type Scope } from "effect"
import { formatIsPrime } from "../../actors/prime/index.js"
import type { ComputeShape } from "./service.js"

export class PrimesServerError extends Data.TaggedError("PrimesServerError")<{ readonly message: string }> {}

export interface PrimesServerOptions {
  readonly port: number
  readonly host?: string
  readonly compute: ComputeShape
  /** Connections beyond this are told `ERROR: busy` and closed. */
  readonly maxConnections: number
  /** Lines received but not answered yet, per connection; past it the connection is closed. */
  readonly maxPendingLines: number
}

export interface PrimesServer {
  readonly port: number
  readonly connections: () => number
}

/** Splits a byte stream into lines, refusing a line longer than `maxLineBytes`. */
const lineSplitter = (maxLineBytes: number) => {
  let partial = ""
  return (chunk: string): { readonly lines: ReadonlyArray<string>; readonly overflow: boolean } => {
    const pieces = (partial + chunk).split("\n")
    partial = pieces.pop() ?? ""
    const lines = pieces.map((line) => line.replace(/\r$/, ""))
    return { lines, overflow: partial.length > maxLineBytes || lines.some((line) => line.length > maxLineBytes) }
  }
}

const answerLine = (compute: ComputeShape, line: string): Effect.Effect<string> =>
  compute.isPrime({ n: line }).pipe(
    Effect.map(formatIsPrime),
    Effect.catchAll((error) => Effect.succeed(`ERROR: ${error.message}`))
  )

const serveConnection = (socket: net.Socket, options: PrimesServerOptions, runtime: Runtime.Runtime<never>): Effect.Effect<void> =>
  Effect.async<void>((resume) => {
    const split = lineSplitter(options.compute.limits.maxNumberDigits + 64)
    let pending = 0
    let chain: Promise<unknown> = Promise.resolve()
    const fibers = new Set<Fiber.RuntimeFiber<string>>()
    const finish = () => resume(Effect.void)
    const refuse = (reason: string) => {
      socket.end(`ERROR: ${reason}\n`)
    }
    socket.setEncoding("utf8")
    socket.on("data", (chunk: string) => {
      const { lines, overflow } = split(chunk)
      if (overflow) return refuse("line too long")
      for (const line of lines) {
        if (line.trim() === "") continue
        if (++pending > options.maxPendingLines) return refuse(`more than ${options.maxPendingLines} unanswered lines`)
        // Answers start at once (in parallel on the pool) but are written in arrival order.
        const fiber = Runtime.runFork(runtime)(answerLine(options.compute, line))
        fibers.add(fiber)
        const answered = Effect.runPromise(Fiber.join(fiber))
        chain = chain
          .then(() => answered)
          .then((answer) => {
            fibers.delete(fiber)
            pending--
            if (!socket.destroyed) socket.write(`${answer}\n`)
          })
          // Only an interrupted answer rejects, and then the connection is going away.
          .catch(() => undefined)
      }
    })
    socket.on("error", () => socket.destroy())
    socket.on("close", finish)
    return Effect.sync(() => {
      for (const fiber of fibers) Effect.runFork(Fiber.interrupt(fiber))
      socket.destroy()
    })
  })

export const servePrimes = (options: PrimesServerOptions): Effect.Effect<PrimesServer, PrimesServerError, Scope.Scope> =>
  Effect.gen(function* () {
    const runtime = yield* Effect.runtime<never>()
    const connections = new Set<Fiber.RuntimeFiber<void>>()
    const server = net.createServer((socket) => {
      if (connections.size >= options.maxConnections) {
        socket.end("ERROR: busy\n")
        return
      }
      const fiber = Runtime.runFork(runtime)(serveConnection(socket, options, runtime))
      connections.add(fiber)
      fiber.addObserver(() => connections.delete(fiber))
    })
    const port = yield* Effect.acquireRelease(
      Effect.async<number, PrimesServerError>((resume) => {
        server.once("error", (error) => resume(Effect.fail(new PrimesServerError({ message: `cannot listen on port ${options.port}: ${error.message}` }))))
        server.listen(options.port, options.host ?? "0.0.0.0", () => {
          const address = server.address()
          resume(Effect.succeed(typeof address === "object" && address !== null ? address.port : options.port))
        })
      }),
      () =>
        Effect.gen(function* () {
          yield* Fiber.interruptAll(connections)
          yield* Effect.async<void>((resume) => {
            server.close(() => resume(Effect.void))
          })
        })
    )
    return { port, connections: () => connections.size }
  })
