/** The nodes a client command talks to: `-h host:port,...`, else every line of ./servers.txt. */
import { Effect, Either } from "effect"
import { parseHostPort, parseServers } from "../config/servers.js"
import type { NodeAddress } from "../client/kv-client.js"
import { UsageError } from "./exit.js"
import * as fs from "node:fs"

export const resolveNodes = (hosts: string | undefined, serversFile = "servers.txt") =>
  Effect.suspend((): Effect.Effect<ReadonlyArray<NodeAddress>, UsageError> => {
    if (hosts !== undefined) {
      const nodes: Array<NodeAddress> = []
      for (const part of hosts.split(",").map((text) => text.trim()).filter((text) => text !== "")) {
        const parsed = parseHostPort(part)
        if (typeof parsed === "string") return Effect.fail(new UsageError({ reason: `-h: ${parsed}` }))
        nodes.push(parsed)
      }
      if (nodes.length === 0) return Effect.fail(new UsageError({ reason: "-h lists no host:port" }))
      return Effect.succeed(nodes)
    }
    if (!fs.existsSync(serversFile)) {
      return Effect.fail(new UsageError({ reason: `no -h given and no ${serversFile} in the current folder` }))
    }
    return Either.match(parseServers(fs.readFileSync(serversFile, "utf8"), serversFile), {
      onLeft: (error) => Effect.fail(new UsageError({ reason: error.message })),
      onRight: (servers) => Effect.succeed(servers.map(({ host, port }) => ({ host, port })))
    })
  })

/**
 * `-h X` -> `--hosts X` when X looks like a host list (troupe-client's spelling); @effect/cli keeps
 * `-h` for help, which a bare `-h` still means.
 */
export const rewriteHostsFlag = (argv: ReadonlyArray<string>): Array<string> =>
  argv.map((arg, index) => (arg === "-h" && /^[^-\s][^\s]*:\d+/.test(argv[index + 1] ?? "") ? "--hosts" : arg))
