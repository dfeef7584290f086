/**
 * `troupe send HOST:PORT FILE NAME [--window]` — the Lab01 client: sends FILE to a receiver
 * under NAME, 5 tries 0.5 s apart per message (config.transfer). Exit 0 only once the last ack
 * arrived; otherwise `ERROR: receiver not responding` (or another reason) and exit 1.
 */
import { Args, Command, Options } from "@effect/cli"
import { Console, Duration, Effect, Either } from "effect"
import { loadConfig } from "../config/load.js"
import { parseHostPort } from "../config/servers.js"
import { UsageError } from "./exit.js"

const target = Args.text({ name: "HOST:PORT" }).pipe(Args.withDescription("the receiver (troupe receive, a node, or the lab server)"))
const file = Args.text({ name: "FILE" }).pipe(Args.withDescription("the local file to send"))
const name = Args.text({ name: "NAME" }).pipe(Args.withDescription("the name to store it under on the receiver"))
const window = Options.boolean("window").pipe(
  Options.withDescription("ask for windowed mode (falls back to stop-and-wait if the receiver does not offer it)")
)

export const sendCommand = Command.make("send", { target, file, name, window }, (args) =>
  Effect.gen(function* () {
    const address = parseHostPort(args.target)
    if (typeof address === "string") return yield* new UsageError({ reason: address })
    const config = loadConfig({ env: process.env })
    if (Either.isLeft(config)) return yield* new UsageError({ reason: config.left.message })
    // Loaded on use, so that other commands start fast.
    const [{ DatagramLive }, { progressReporter }, { sendFile }] = yield* Effect.promise(() =>
      Promise.all([import("../net/datagram.js"), import("../transfer/progress.js"), import("../transfer/sender.js")]))
    const progress = progressReporter(process.stdout)
    const result = yield* sendFile({
      ...address,
      localPath: args.file,
      remoteName: args.name,
      config: config.right,
      windowed: args.window,
      onProgress: progress.onProgress,
      progressEvery: Duration.millis(progress.everyMs)
    }).pipe(Effect.ensuring(Effect.sync(progress.finish)), Effect.provide(DatagramLive))
    const seconds = result.elapsedMs / 1000
    const mode = result.window > 1 ? `window ${result.window}` : "stop-and-wait"
    const rate = seconds > 0 ? ` (${(result.totalBytes / 1e6 / seconds).toFixed(1)} MB/s)` : ""
    yield* Console.log(`sent ${result.totalBytes} bytes to ${args.target} as ${args.name} in ${seconds.toFixed(2)} s${rate}, ${mode}, buf_size ${result.bufSize}, ${result.retransmissions} retransmissions`)
  })
).pipe(Command.withDescription("send a file to a receiver over UDP (Lab01 protocol)"))
