/** `troupe kv get KEY | put KEY VALUE`: the KV store through the same client as troupe-client. */
import { Args, Command, Options } from "@effect/cli"
import { Console, Effect, Option } from "effect"
import { defaultConfig } from "../config/load.js"
import { kvCall, kvPath } from "../client/kv-client.js"
import { clientIdentity, recallLeader, rememberLeader } from "../client/leader-cache.js"
import { resolveNodes } from "./resolve-nodes.js"

const hosts = Options.text("hosts").pipe(
  Options.withDescription("host:port[,host:port...] (default: ./servers.txt)"),
  Options.optional
)

const call = (hostsText: Option.Option<string>, key: string, value?: string) =>
  Effect.gen(function*() {
    const nodes = yield* resolveNodes(Option.getOrUndefined(hostsText))
    const headers = value === undefined ? {} : clientIdentity()
    const answer = yield* kvCall({ ...defaultConfig().client, nodes, preferred: recallLeader(nodes) }, kvPath(key, value), headers)
    rememberLeader(nodes, answer.leader ?? answer.servedBy)
    yield* Console.log(answer.body)
  })

const get = Command.make("get", { hosts, key: Args.text({ name: "KEY" }) }, (args) => call(args.hosts, args.key))
  .pipe(Command.withDescription("print KEY=VALUE or KEY=NIL"))
const put = Command.make("put", { hosts, key: Args.text({ name: "KEY" }), value: Args.text({ name: "VALUE" }) }, (args) =>
  call(args.hosts, args.key, args.value)).pipe(Command.withDescription("set KEY, print the old KEY=VALUE"))

export const kvCommand = Command.make("kv").pipe(
  Command.withDescription("the replicated key-value store"),
  Command.withSubcommands([get, put])
)
