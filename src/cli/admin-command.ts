/**
 * `troupe admin getleader | suspend SECONDS | status` — the Raft lab's GetLeader and Suspend, and
 * a node's /status. Each goes to the first node of `-h` (or ./servers.txt) that answers;
 * `--node host:port` picks one node (Suspend usually targets a specific node).
 */
import { Args, Command, Options } from "@effect/cli"
import { Console, Effect, Option } from "effect"
import { httpGet } from "../client/http-get.js"
import { formatAddress } from "../config/servers.js"
import { UsageError } from "./exit.js"
import { resolveNodes } from "./resolve-nodes.js"

const hosts = Options.text("hosts").pipe(
  Options.withDescription("host:port[,host:port...] (default: ./servers.txt)"),
  Options.optional
)

const firstAnswer = (hostsText: Option.Option<string>, path: string) =>
  Effect.gen(function*() {
    const nodes = yield* resolveNodes(Option.getOrUndefined(hostsText))
    const problems: Array<string> = []
    for (const node of nodes) {
      const answer = yield* Effect.either(httpGet(node, path, { timeout: "2 seconds" }))
      if (answer._tag === "Right" && answer.right.status === 200) return answer.right.body.trimEnd()
      problems.push(answer._tag === "Left" ? answer.left.message : `${formatAddress(node.host, node.port)}: ${answer.right.body.trim()}`)
    }
    return yield* new UsageError({ reason: `no node answered: ${problems.join("; ")}` })
  })

const getLeader = Command.make("getleader", { hosts }, (args) =>
  Effect.flatMap(firstAnswer(args.hosts, "/_troupe/leader"), (body) => {
    const answer = JSON.parse(body) as { leader: string | null; term: number }
    return Console.log(answer.leader === null ? `no leader (term ${answer.term})` : `${answer.leader} (term ${answer.term})`)
  })).pipe(Command.withDescription("print the current leader and term"))

const suspend = Command.make("suspend", { hosts, seconds: Args.float({ name: "SECONDS" }) }, (args) =>
  Effect.flatMap(firstAnswer(args.hosts, `/_troupe/suspend?seconds=${args.seconds}`), Console.log)
).pipe(Command.withDescription("make a node stop answering for SECONDS (use -h with one node)"))

const status = Command.make("status", { hosts }, (args) =>
  Effect.flatMap(firstAnswer(args.hosts, "/status"), Console.log)
).pipe(Command.withDescription("print a node's /status"))

export const adminCommand = Command.make("admin").pipe(
  Command.withDescription("cluster administration: getleader, suspend, status"),
  Command.withSubcommands([getLeader, suspend, status])
)
