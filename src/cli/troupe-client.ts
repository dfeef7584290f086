/**
 * troupe-client: the CS739 command-line client.
 *   troupe-client -h host:port[,host:port...] -k KEY [-v VALUE]
 * Without -h it reads ./servers.txt. Prints exactly what the server returned (`KEY=VALUE` or
 * `KEY=NIL`), or `ERROR: message` with exit code 1 (2 for bad usage).
 */
import { Args, Command, Options } from "@effect/cli"
import * as NodeContext from "@effect/platform-node/NodeContext"
import * as NodeRuntime from "@effect/platform-node/NodeRuntime"
import { Console, Effect, Either, Option } from "effect"
import { loadConfig } from "../config/load.js"
import { kvCall, kvPath } from "../client/kv-client.js"
import { clientIdentity, forgetLeader, recallLeader, rememberLeader } from "../client/leader-cache.js"
import { resolveNodes } from "./resolve-nodes.js"
import { exitWith, UsageError } from "./exit.js"

const hosts = Options.text("hosts").pipe(
  Options.withDescription("host:port[,host:port...] of nodes to use (default: ./servers.txt); -h works too"),
  Options.optional
)
const key = Options.text("key").pipe(Options.withAlias("k"), Options.withDescription("the key"))
const value = Options.text("value").pipe(
  Options.withAlias("v"),
  Options.withDescription("set the key to this value and print the old one"),
  Options.optional
)

const clientCommand = Command.make("troupe-client", { hosts, key, value, rest: Args.none }, (args) =>
  Effect.gen(function*() {
    const config = yield* Either.match(loadConfig({ env: process.env }), {
      onLeft: (error) => Effect.fail(new UsageError({ reason: error.message })),
      onRight: Effect.succeed
    })
    const nodes = yield* resolveNodes(Option.getOrUndefined(args.hosts))
    const preferred = recallLeader(nodes)
    const write = Option.getOrUndefined(args.value)
    const headers = write === undefined ? {} : clientIdentity()
    const answer = yield* kvCall({ ...config.client, nodes, preferred }, kvPath(args.key, write), headers).pipe(
      Effect.tapError(() => Effect.sync(() => forgetLeader(nodes)))
    )
    rememberLeader(nodes, answer.leader ?? answer.servedBy)
    yield* Console.log(answer.body)
  }))

/** CS739 spells the hosts flag `-h`, which @effect/cli keeps for help: translate it first. */
const argv = process.argv.map((arg, index) => (index >= 2 && arg === "-h" ? "--hosts" : arg))

const cli = Command.run(clientCommand, { name: "troupe-client", version: "0.1.0" })
cli(argv).pipe(exitWith, Effect.provide(NodeContext.layer), NodeRuntime.runMain({ disableErrorReporting: true, disablePrettyLogger: true }))
