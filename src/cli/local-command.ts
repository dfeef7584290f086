/**
 * `troupe local` (what `npm start` runs): a whole cluster on this machine, one `troupe node`
 * process per line of the servers file (default ./servers.txt: three nodes on 127.0.0.1-3),
 * data under ./data/<N>, every log line prefixed with its node. Ctrl+C stops all of them
 * gracefully (SIGTERM, then SIGKILL after the grace period).
 */
import { Command, Options } from "@effect/cli"
import * as childProcess from "node:child_process"
import * as readline from "node:readline"
import { Console, Effect, Either } from "effect"
import { parseServers } from "../config/servers.js"
import { UsageError } from "./exit.js"
import { configOption, serversOption } from "./node-command.js"
import * as fs from "node:fs"
import { NODE_V8_FLAGS } from "../runtime/node-flags.js"

const dataOption = Options.directory("data").pipe(
  Options.withDescription("parent folder of every node's data folder"),
  Options.withDefault("data")
)

const COLORS = [36, 33, 35, 32, 34, 31, 96, 93]

const spawnNode = (index: number, serversFile: string, dataDir: string, configFile: string | undefined) => {
  const args = [...NODE_V8_FLAGS, process.argv[1]!, "node", "--servers", serversFile, "--self", String(index), "--data", `${dataDir}/${index}`]
  if (configFile !== undefined) args.push("--config", configFile)
  // Own process group: a terminal's Ctrl+C reaches only this launcher, which then stops each
  // node once (a second signal would cut a node's graceful shutdown short).
  const child = childProcess.spawn(process.execPath, args, { stdio: ["ignore", "pipe", "pipe"], detached: true })
  child.once("exit", (code, signal) => process.stdout.write(`${tag} exited (${signal ?? `code ${code}`})\n`))
  const tag = process.stdout.isTTY ? `\x1b[${COLORS[(index - 1) % COLORS.length]}m[n${index}]\x1b[0m` : `[n${index}]`
  for (const stream of [child.stdout, child.stderr]) {
    readline.createInterface({ input: stream }).on("line", (line) => process.stdout.write(`${tag} ${line}\n`))
  }
  return child
}

const exited = (child: childProcess.ChildProcess) =>
  Effect.async<void>((resume) => {
    if (child.exitCode !== null || child.signalCode !== null) resume(Effect.void)
    else child.once("exit", () => resume(Effect.void))
  })

/** SIGTERM every node (graceful: leadership hand-over, drain), SIGKILL what is left after 8 s. */
const stopAll = (children: ReadonlyArray<childProcess.ChildProcess>) =>
  Effect.gen(function*() {
    for (const child of children) if (child.exitCode === null && child.signalCode === null) child.kill("SIGTERM")
    yield* Effect.forEach(children, exited, { concurrency: "unbounded", discard: true }).pipe(
      Effect.timeout("8 seconds"),
      Effect.catchAll(() => Effect.sync(() => children.forEach((child) => child.kill("SIGKILL"))))
    )
  })

export const localCommand = Command.make(
  "local",
  { servers: serversOption, data: dataOption, config: configOption },
  (args) =>
    Effect.gen(function*() {
      const text = yield* Effect.try({
        try: () => fs.readFileSync(args.servers, "utf8"),
        catch: (error) => new UsageError({ reason: `${args.servers}: cannot read: ${(error as Error).message}` })
      })
      const servers = yield* Either.match(parseServers(text, args.servers), {
        onLeft: (error) => Effect.fail(new UsageError({ reason: error.message })),
        onRight: Effect.succeed
      })
      const configFile = args.config._tag === "Some" ? args.config.value : undefined
      const children = yield* Effect.acquireRelease(
        Effect.sync(() => servers.map((_, i) => spawnNode(i + 1, args.servers, args.data, configFile))),
        stopAll
      )
      const addresses = servers.map((server) => server.id).join(",")
      yield* Console.log([
        `troupe: starting ${servers.length} nodes (${addresses}); data in ./${args.data}/<N>. Ctrl+C stops them.`,
        `  try:  curl http://${servers[0]!.id}/greeting=hello   then   curl http://${servers[servers.length - 1]!.id}/greeting`,
        `        npx troupe-client -h ${addresses} -k greeting`,
        `        curl http://${servers[0]!.id}/status`
      ].join("\n"))
      yield* Effect.forEach(children, exited, { concurrency: "unbounded", discard: true })
    }).pipe(Effect.scoped)
).pipe(Command.withDescription("run a local cluster: one node per line of the servers file (npm start)"))
