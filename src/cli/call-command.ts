/**
 * `troupe call isprime N... | gcd A B | reverse TEXT | split TEXT [DELIM]`: calls the compute
 * actors of a cluster through any node's /rpc endpoint, finding the cluster like
 * `troupe-client` (`--hosts h:p,h:p`, else ./servers.txt). Output is exactly the lab's; on
 * failure `ERROR: ...` on stdout and exit code 1.
 */
import { Args, Command, Options } from "@effect/cli"
import type { RpcClientError } from "@effect/rpc"
import { Chunk, Console, Effect, Option, Stream } from "effect"
import { formatGcd } from "../../actors/gcd/index.js"
import { formatIsPrime } from "../../actors/prime/index.js"
import { formatSplit } from "../../actors/text/index.js"
import type { TroupeConfig } from "../../config/schema.js"
import { loadConfig } from "../config/load.js"
import { formatAddress } from "../config/servers.js"
import type { ComputeError } from "../compute/errors.js"
import type { ComputeRpcClientShape } from "../compute/rpc.js"
import { reportError } from "./primes-command.js"
import { resolveNodes } from "./resolve-nodes.js"

const hostsOption = Options.text("hosts").pipe(
  Options.withDescription("host:port[,host:port...] of any nodes (default: ./servers.txt); -h works too"),
  Options.optional
)

/** Resolves the cluster, runs `attempt` with fail-over, prints `render(answer)`. */
const callAndPrint = <A>(
  hosts: Option.Option<string>,
  attempt: (client: ComputeRpcClientShape) => Effect.Effect<A, ComputeError | RpcClientError.RpcClientError>,
  render: (answer: A) => string
) =>
  Effect.gen(function* () {
    const nodes = yield* resolveNodes(Option.getOrUndefined(hosts))
    const config: TroupeConfig = yield* loadConfig({ env: process.env })
    const targets = nodes.map((node) => formatAddress(node.host, node.port))
    // Loaded on use (the RPC client is large), so that other commands start fast.
    const { callWithFailover, oneShotClient } = yield* Effect.promise(() => import("../compute/client.js"))
    const { value } = yield* callWithFailover(targets, config, attempt, oneShotClient)
    yield* Console.log(render(value))
  }).pipe(Effect.catchAll((error) => reportError(error.message)))

const isprime = Command.make(
  "isprime",
  { hosts: hostsOption, numbers: Args.text({ name: "N" }).pipe(Args.atLeast(1)) },
  ({ hosts, numbers }) =>
    callAndPrint(
      hosts,
      (client) => Stream.runCollect(client.IsPrimeStream({ numbers })),
      (answers) => Chunk.toReadonlyArray(answers).map(formatIsPrime).join("\n")
    )
).pipe(Command.withDescription("Is each N prime? One line per number"))

const gcd = Command.make(
  "gcd",
  { hosts: hostsOption, a: Args.text({ name: "A" }), b: Args.text({ name: "B" }) },
  ({ hosts, a, b }) => callAndPrint(hosts, (client) => client.Gcd({ a, b }), formatGcd)
).pipe(Command.withDescription("Greatest common divisor of A and B"))

const reverse = Command.make(
  "reverse",
  { hosts: hostsOption, text: Args.text({ name: "TEXT" }) },
  ({ hosts, text }) => callAndPrint(hosts, (client) => client.Reverse({ text }), (answer) => answer.text)
).pipe(Command.withDescription("TEXT reversed"))

const split = Command.make(
  "split",
  { hosts: hostsOption, text: Args.text({ name: "TEXT" }), delim: Args.text({ name: "DELIM" }).pipe(Args.optional) },
  ({ hosts, text, delim }) =>
    callAndPrint(
      hosts,
      (client) => client.Split(Option.isSome(delim) ? { text, delim: delim.value } : { text }),
      formatSplit
    )
).pipe(Command.withDescription("TEXT split on DELIM (default: whitespace): the count, then one part per line"))

export const callCommand = Command.make("call").pipe(
  Command.withDescription("Call a compute actor (isprime, gcd, reverse, split) on the cluster"),
  Command.withSubcommands([isprime, gcd, reverse, split])
)
