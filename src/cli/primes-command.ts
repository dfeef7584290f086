/**
 * `troupe serve-primes PORT` (the Lab02 server alone) and `troupe primes HOST:PORT [N...]`
 * (the Lab02 client). Run them under `NodeRuntime.runMain`: Ctrl+C interrupts the server's
 * fiber, which closes the listener and every connection and terminates every worker.
 */
import { Args, Command } from "@effect/cli"
import { Console, Duration, Effect } from "effect"
import { loadConfig } from "../config/load.js"
import { parseHostPort } from "../config/servers.js"

/**
 * Prints `ERROR: ...` on stdout (troupe's convention, see exit.ts) and makes the process exit
 * with 1, without a stack trace.
 */
export const reportError = (message: string): Effect.Effect<void> =>
  Effect.zipRight(Console.log(`ERROR: ${message}`), Effect.sync(() => {
    process.exitCode = 1
  }))

const configFromEnvironment = Effect.suspend(() => loadConfig({ env: process.env }))

export const servePrimesCommand = Command.make(
  "serve-primes",
  { port: Args.integer({ name: "PORT" }).pipe(Args.withDescription("TCP port to listen on")) },
  ({ port }) =>
    Effect.scoped(
      Effect.gen(function* () {
        if (port < 1 || port > 65535) return yield* reportError(`${port} is not a port number (1-65535)`)
        const config = yield* configFromEnvironment
        const [{ servePrimes }, { makeCompute }] = yield* Effect.promise(() =>
          Promise.all([import("../compute/primes-server.js"), import("../compute/service.js")]))
        const compute = yield* makeCompute({ config })
        // Listen only once the workers are up, so the first clients are not served late.
        yield* compute.ready.pipe(Effect.timeoutFail({ duration: config.compute.callTimeout, onTimeout: () => new Error("the compute workers did not start in time") }))
        const server = yield* servePrimes({
          port,
          compute,
          maxConnections: config.http.maxInflightRequests,
          maxPendingLines: config.compute.queueCapacity
        })
        yield* Console.log(`serving primes on port ${server.port} with ${config.compute.workers} workers (Ctrl+C stops)`)
        return yield* Effect.never
      })
    ).pipe(
      // Outside the scope: by now the listener, the connections and the workers are closed.
      Effect.onInterrupt(() => Console.log("stopped: all connections closed, all workers stopped")),
      Effect.catchAll((error) => reportError(error.message))
    )
).pipe(Command.withDescription("Run the Lab02 prime-checking TCP service alone"))

export const primesCommand = Command.make(
  "primes",
  {
    server: Args.text({ name: "HOST:PORT" }),
    numbers: Args.text({ name: "N" }).pipe(Args.repeated)
  },
  ({ server, numbers }) =>
    Effect.gen(function* () {
      const address = parseHostPort(server)
      if (typeof address === "string") return yield* reportError(address)
      const config = yield* configFromEnvironment
      const { LAB02_NUMBERS, runPrimesClient } = yield* Effect.promise(() => import("../compute/primes-client.js"))
      yield* runPrimesClient({
        ...address,
        numbers: numbers.length === 0 ? LAB02_NUMBERS : numbers,
        // The server answers within callTimeout (an ERROR line at worst); the rest is the network.
        answerTimeout: Duration.sum(config.compute.callTimeout, config.client.requestTimeout),
        maxLineBytes: config.compute.maxNumberDigits + 64,
        print: (line) => console.log(line)
      })
      yield* Console.log("Completed")
    }).pipe(Effect.catchAll((error) => reportError(error.message)))
).pipe(Command.withDescription("Send numbers to a Lab02 prime service and print the answers"))
