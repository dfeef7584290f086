/** `troupe node [--servers FILE] [--self N] [--data DIR] [--config FILE]`: run one node. */
import { Command, Options } from "@effect/cli"
import { Effect, Either, Logger, LogLevel, Option } from "effect"
import { loadConfig } from "../config/load.js"
import { readServersFile } from "../config/servers.js"
import { UsageError } from "./exit.js"

export const serversOption = Options.file("servers").pipe(
  Options.withDescription("servers file: one host:port (or `id address port`) per line"),
  Options.withDefault("servers.txt")
)
export const configOption = Options.file("config").pipe(
  Options.withDescription("JSON file overriding config/default.json"),
  Options.optional
)
const selfOption = Options.integer("self").pipe(
  Options.withDescription("which line of the servers file is this node (counting from 1)"),
  Options.withDefault(1)
)
const dataOption = Options.directory("data").pipe(
  Options.withDescription("data folder (default: ./data/<N>)"),
  Options.optional
)

export const loadConfigOrFail = (file: Option.Option<string>) =>
  Either.match(loadConfig({ file: Option.getOrUndefined(file), env: process.env }), {
    onLeft: (error) => Effect.fail(new UsageError({ reason: error.message })),
    onRight: Effect.succeed
  })

export const nodeCommand = Command.make(
  "node",
  { servers: serversOption, self: selfOption, data: dataOption, config: configOption },
  (args) =>
    Effect.gen(function*() {
      const config = yield* loadConfigOrFail(args.config)
      const members = yield* Either.match(readServersFile(args.servers, args.self), {
        onLeft: (error) => Effect.fail(new UsageError({ reason: error.message })),
        onRight: Effect.succeed
      })
      const dataDir = Option.getOrElse(args.data, () => `data/${args.self}`)
      const { runLiveNode } = yield* Effect.promise(() => import("../node/live-node.js"))
      return yield* Effect.scoped(runLiveNode({ ...members, dataDir, config }))
    }).pipe(
      Effect.provide(Logger.logFmt),
      Logger.withMinimumLogLevel(process.env.TROUPE_LOG_LEVEL === "debug" ? LogLevel.Debug : LogLevel.Info)
    )
).pipe(Command.withDescription("run a troupe node (reads ./servers.txt; the first line is this node)"))
