/**
 * servers.txt: one server per line, the first line is this node (unless `--self N` says
 * otherwise). Two forms are accepted: `host:port` (CS739) and `id address port` (Raft lab
 * config.conf). Blank lines and `#` comments are ignored. A node's identity is its
 * `host:port`, which is the same on every machine whatever the line order.
 */
import * as fs from "node:fs"
import * as net from "node:net"
import { Either } from "effect"
import { ConfigError } from "./load.js"

export type NodeId = string

export interface ServerEntry {
  readonly id: NodeId
  readonly host: string
  readonly port: number
  /** The id written in the `id address port` form, if any. */
  readonly labId?: string
  readonly line: number
}

const HOSTNAME = /^[A-Za-z0-9]([A-Za-z0-9.-]{0,252})$/

const parsePort = (text: string): number | undefined => {
  if (!/^\d{1,5}$/.test(text)) return undefined
  const port = Number(text)
  return port >= 1 && port <= 65535 ? port : undefined
}

const validHost = (host: string): boolean => net.isIP(host) !== 0 || HOSTNAME.test(host)

export const formatAddress = (host: string, port: number): string =>
  net.isIPv6(host) ? `[${host}]:${port}` : `${host}:${port}`

/** Parses `host:port` (also `[v6]:port`), as used by servers.txt and `-h` flags. */
export const parseHostPort = (text: string): { host: string; port: number } | string => {
  const match = /^\[([^\]]+)\]:(\d+)$/.exec(text) ?? /^([^:\s]+):(\d+)$/.exec(text)
  if (match === null) return `expected host:port, got "${text}"`
  const host = match[1]!
  const port = parsePort(match[2]!)
  if (!validHost(host)) return `"${host}" is not a valid host name or IP address`
  if (port === undefined) return `"${match[2]}" is not a port number (1-65535)`
  return { host, port }
}

const parseLine = (raw: string, line: number, source: string): Either.Either<ServerEntry | undefined, ConfigError> => {
  const text = raw.replace(/#.*$/, "").trim()
  if (text === "") return Either.right(undefined)
  const fail = (problem: string) => Either.left(new ConfigError({ source, line, problem }))
  const fields = text.split(/\s+/)
  if (fields.length === 1) {
    const parsed = parseHostPort(fields[0]!)
    if (typeof parsed === "string") return fail(parsed)
    return Either.right({ id: formatAddress(parsed.host, parsed.port), ...parsed, line })
  }
  if (fields.length === 3) {
    const [labId, host, portText] = fields as [string, string, string]
    const port = parsePort(portText)
    if (!validHost(host)) return fail(`"${host}" is not a valid host name or IP address`)
    if (port === undefined) return fail(`"${portText}" is not a port number (1-65535)`)
    return Either.right({ id: formatAddress(host, port), host, port, labId, line })
  }
  return fail(`expected "host:port" or "id address port", got "${text}"`)
}

/** Parses the text of a servers file; errors name the source and the line. */
export const parseServers = (text: string, source: string): Either.Either<ReadonlyArray<ServerEntry>, ConfigError> => {
  const entries: Array<ServerEntry> = []
  const seen = new Map<NodeId, number>()
  const lines = text.split(/\r?\n/)
  for (let index = 0; index < lines.length; index++) {
    const parsed = parseLine(lines[index]!, index + 1, source)
    if (Either.isLeft(parsed)) return Either.left(parsed.left)
    const entry = parsed.right
    if (entry === undefined) continue
    const previous = seen.get(entry.id)
    if (previous !== undefined) {
      return Either.left(new ConfigError({ source, line: index + 1, problem: `${entry.id} is listed twice (first on line ${previous})` }))
    }
    seen.set(entry.id, entry.line)
    entries.push(entry)
  }
  if (entries.length === 0) return Either.left(new ConfigError({ source, problem: "no servers listed" }))
  return Either.right(entries)
}

export interface ClusterMembers {
  readonly self: ServerEntry
  readonly servers: ReadonlyArray<ServerEntry>
}

/** Reads a servers file and picks this node: line `self` (1-based, counting servers only). */
export const readServersFile = (file: string, self = 1): Either.Either<ClusterMembers, ConfigError> => {
  let text: string
  try {
    text = fs.readFileSync(file, "utf8")
  } catch (error) {
    return Either.left(new ConfigError({ source: file, problem: `cannot read: ${(error as Error).message}` }))
  }
  return Either.flatMap(parseServers(text, file), (servers) => {
    const entry = servers[self - 1]
    if (!Number.isInteger(self) || self < 1 || entry === undefined) {
      return Either.left(new ConfigError({ source: file, problem: `--self ${self} is out of range: the file lists ${servers.length} server(s)` }))
    }
    return Either.right({ self: entry, servers })
  })
}
