/**
 * `troupe receive PORT [--dir DIR] [--host HOST]` — the Lab01 server alone: receives files over
 * UDP into DIR (default: the current folder), logging each session, until interrupted.
 */
import * as fs from "node:fs"
import { Args, Command, Options } from "@effect/cli"
import { Effect, Either } from "effect"
import { loadConfig } from "../config/load.js"
import { UsageError } from "./exit.js"

const port = Args.integer({ name: "PORT" }).pipe(Args.withDescription("UDP port to listen on"))
const dir = Options.text("dir").pipe(Options.withDescription("folder to write received files into"), Options.withDefault("."))
const host = Options.text("host").pipe(Options.withDescription("address to bind"), Options.withDefault("0.0.0.0"))

export const receiveCommand = Command.make("receive", { port, dir, host }, (args) =>
  Effect.gen(function* () {
    if (!Number.isInteger(args.port) || args.port < 1 || args.port > 65535) return yield* new UsageError({ reason: `${args.port} is not a port number (1-65535)` })
    const config = loadConfig({ env: process.env })
    if (Either.isLeft(config)) return yield* new UsageError({ reason: config.left.message })
    // Loaded on use, so that other commands start fast.
    const [{ DatagramLive }, { folderSink }, { runReceiver }] = yield* Effect.promise(() =>
      Promise.all([import("../net/datagram.js"), import("../transfer/folder-sink.js"), import("../transfer/receiver.js")]))
    const folder = yield* Effect.try({
      try: () => {
        fs.mkdirSync(args.dir, { recursive: true })
        return fs.realpathSync(args.dir)
      },
      catch: (error) => new UsageError({ reason: `cannot use --dir ${args.dir}: ${error instanceof Error ? error.message : String(error)}` })
    })
    return yield* runReceiver({ host: args.host, port: args.port, sink: folderSink(folder), config: config.right }).pipe(Effect.scoped, Effect.provide(DatagramLive))
  })
).pipe(Command.withDescription("receive files over UDP into a folder (Lab01 protocol)"))
