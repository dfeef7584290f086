/**
 * `troupe kv get|put|del|cas|keys|size|verify`: the replicated KV store. get and put speak the
 * plain HTTP contract (the same as troupe-client); the rest use the typed SDK at /rpc.
 */
import { Args, Command, Options } from "@effect/cli"
import { Console, Effect, Option } from "effect"
import { defaultConfig } from "../config/load.js"
import { formatAddress } from "../config/servers.js"
import { kvCall, kvPath } from "../client/kv-client.js"
import { clientIdentity, recallLeader, rememberLeader } from "../client/leader-cache.js"
import type { KvClient } from "../sdk/kv-client.js"
import { resolveNodes } from "./resolve-nodes.js"

const hosts = Options.text("hosts").pipe(
  Options.withDescription("host:port[,host:port...] (default: ./servers.txt)"),
  Options.optional
)
const key = Args.text({ name: "KEY" })
const value = Args.text({ name: "VALUE" })

const httpCall = (hostsText: Option.Option<string>, keyText: string, valueText?: string) =>
  Effect.gen(function*() {
    const nodes = yield* resolveNodes(Option.getOrUndefined(hostsText))
    const headers = valueText === undefined ? {} : clientIdentity()
    const answer = yield* kvCall({ ...defaultConfig().client, nodes, preferred: recallLeader(nodes) }, kvPath(keyText, valueText), headers)
    rememberLeader(nodes, answer.leader ?? answer.servedBy)
    yield* Console.log(answer.body)
  })

/** Runs `use` with an SDK client of the chosen nodes. */
const withSdk = <A, E>(hostsText: Option.Option<string>, use: (client: KvClient) => Effect.Effect<A, E>, clientId?: string) =>
  Effect.gen(function*() {
    const nodes = yield* resolveNodes(Option.getOrUndefined(hostsText))
    const { makeKvClient } = yield* Effect.promise(() => import("../sdk/kv-client.js"))
    const client = yield* makeKvClient({
      hosts: nodes.map((node) => formatAddress(node.host, node.port)),
      ...(clientId === undefined ? {} : { clientId })
    })
    return yield* use(client)
  }).pipe(Effect.scoped)

const shown = (text: string | null) => text ?? "NIL"

const get = Command.make("get", { hosts, key }, (args) => httpCall(args.hosts, args.key))
  .pipe(Command.withDescription("print KEY=VALUE or KEY=NIL"))
const put = Command.make("put", { hosts, key, value }, (args) => httpCall(args.hosts, args.key, args.value))
  .pipe(Command.withDescription("set KEY, print the old KEY=VALUE"))
const del = Command.make("del", { hosts, key }, (args) =>
  withSdk(args.hosts, (client) => Effect.flatMap(client.del(args.key), (old) => Console.log(`${args.key}=${shown(old)}`)))
).pipe(Command.withDescription("delete KEY, print the old KEY=VALUE"))
const cas = Command.make("cas", {
  hosts, key,
  expect: Args.text({ name: "EXPECT" }).pipe(Args.withDescription("the current value, or NIL for absent")),
  value: Args.text({ name: "VALUE" }).pipe(Args.withDescription("the new value, or NIL to delete"))
}, (args) =>
  withSdk(args.hosts, (client) =>
    Effect.flatMap(
      client.cas(args.key, args.expect === "NIL" ? null : args.expect, args.value === "NIL" ? null : args.value),
      (swapped) => Console.log(String(swapped))
    ))
).pipe(Command.withDescription("set KEY to VALUE only if it is EXPECT; prints true or false"))
const keys = Command.make("keys", { hosts, prefix: Args.text({ name: "PREFIX" }).pipe(Args.withDefault("")) }, (args) =>
  withSdk(args.hosts, (client) => Effect.flatMap(client.keys(args.prefix), (list) => Console.log(list.join("\n"))))
).pipe(Command.withDescription("list keys (sorted, bounded by kv.maxKeysListed)"))
const size = Command.make("size", { hosts }, (args) =>
  withSdk(args.hosts, (client) => Effect.flatMap(client.size, (count) => Console.log(String(count))))
).pipe(Command.withDescription("print the number of keys"))
const verify = Command.make("verify", {
  hosts,
  client: Args.text({ name: "CLIENT" }),
  seq: Args.integer({ name: "SEQ" })
}, (args) =>
  withSdk(args.hosts, (client) => Effect.flatMap(client.verify(args.seq), (applied) => Console.log(applied ? "applied" : "not applied")), args.client)
).pipe(Command.withDescription("has write SEQ of client CLIENT been applied?"))

export const kvCommand = Command.make("kv").pipe(
  Command.withDescription("the replicated key-value store"),
  Command.withSubcommands([get, put, del, cas, keys, size, verify])
)
