import { describe, expect, it } from "@effect/vitest"
import * as fs from "node:fs"
import * as os from "node:os"
import * as path from "node:path"
import { Either } from "effect"
import { parseHostPort, parseServers, readServersFile } from "../../src/config/servers.js"

const parsed = (text: string) => Either.getOrThrow(parseServers(text, "servers.txt"))
const problem = (text: string) => {
  const result = parseServers(text, "servers.txt")
  if (Either.isRight(result)) throw new Error("expected a parse error")
  return result.left.message
}

describe("servers.txt", () => {
  it("reads host:port lines, skipping blanks and comments", () => {
    const servers = parsed("# cluster\n127.0.0.1:8081\n\n  127.0.0.2:8081  # second\n192.168.2.4:9000\n")
    expect(servers.map((s) => s.id)).toEqual(["127.0.0.1:8081", "127.0.0.2:8081", "192.168.2.4:9000"])
    expect(servers[1]).toMatchObject({ host: "127.0.0.2", port: 8081, line: 4 })
  })

  it("reads the Raft lab form `id address port`", () => {
    const servers = parsed("0 127.0.0.1 5000\n1 127.0.0.1 5001\r\n2 localhost 5002\n")
    expect(servers.map((s) => [s.labId, s.id])).toEqual([
      ["0", "127.0.0.1:5000"], ["1", "127.0.0.1:5001"], ["2", "localhost:5002"]
    ])
  })

  it("names the file and line of a problem", () => {
    expect(problem("127.0.0.1:8081\n127.0.0.1:99999\n")).toBe(
      "servers.txt:2: \"99999\" is not a port number (1-65535)"
    )
    expect(problem("a b\n")).toContain("servers.txt:1: expected")
    expect(problem("127.0.0.1:1\n127.0.0.1:1\n")).toContain("listed twice (first on line 1)")
    expect(problem("# nothing\n\n")).toBe("servers.txt: no servers listed")
    expect(problem("bad host!:80\n")).toContain("servers.txt:1:")
  })

  it("parses -h style addresses including IPv6", () => {
    expect(parseHostPort("[::1]:8080")).toEqual({ host: "::1", port: 8080 })
    expect(parseHostPort("example.org:1")).toEqual({ host: "example.org", port: 1 })
    expect(typeof parseHostPort("nohost")).toBe("string")
  })

  it("picks the node by --self and rejects one out of range", () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "troupe-servers-"))
    const file = path.join(dir, "servers.txt")
    fs.writeFileSync(file, "127.0.0.1:7001\n127.0.0.2:7001\n")
    expect(Either.getOrThrow(readServersFile(file, 2)).self.id).toBe("127.0.0.2:7001")
    const outOfRange = readServersFile(file, 3)
    expect(Either.isLeft(outOfRange) && outOfRange.left.message).toContain("--self 3 is out of range")
    const missing = readServersFile(path.join(dir, "nope.txt"))
    expect(Either.isLeft(missing) && missing.left.message).toContain("cannot read")
    fs.rmSync(dir, { recursive: true })
  })
})
