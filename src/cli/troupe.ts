/**
 * troupe: the command line. Subcommands load their implementation lazily so that a quick
 * command (a KV call, --help) starts fast.
 */
import { Command } from "@effect/cli"
import * as NodeContext from "@effect/platform-node/NodeContext"
import * as NodeRuntime from "@effect/platform-node/NodeRuntime"
import { Effect } from "effect"
import { adminCommand } from "./admin-command.js"
import { callCommand } from "./call-command.js"
import { checkCommand } from "./check-command.js"
import { exitWith } from "./exit.js"
import { kvCommand } from "./kv-command.js"
import { localCommand } from "./local-command.js"
import { nemesisCommand } from "./nemesis-command.js"
import { nodeCommand } from "./node-command.js"
import { primesCommand, servePrimesCommand } from "./primes-command.js"
import { receiveCommand } from "./receive-command.js"
import { sendCommand } from "./send-command.js"
import { rewriteHostsFlag } from "./resolve-nodes.js"
import { simCommand } from "./sim-command.js"

const troupe = Command.make("troupe").pipe(
  Command.withDescription("a fault-tolerant service runtime: replicated KV, file transfer, compute actors"),
  Command.withSubcommands([
    nodeCommand, localCommand, kvCommand, adminCommand, sendCommand, receiveCommand, callCommand, servePrimesCommand, primesCommand, checkCommand, simCommand, nemesisCommand
  ])
)

/**
 * Under troupe-deno the real process is Deno's child of the wrapper; if the wrapper is killed
 * outright, stop gracefully instead of living on as an orphan.
 */
const parentPid = Number(process.env.TROUPE_EXIT_WITH_PARENT)
if (Number.isInteger(parentPid) && parentPid > 1) {
  setInterval(() => {
    try {
      process.kill(parentPid, 0)
    } catch {
      process.kill(process.pid, "SIGTERM")
    }
  }, 500).unref()
}

const cli = Command.run(troupe, { name: "troupe", version: "0.1.0" })
cli(rewriteHostsFlag(process.argv)).pipe(exitWith, Effect.provide(NodeContext.layer), NodeRuntime.runMain({ disableErrorReporting: true, disablePrettyLogger: true }))
