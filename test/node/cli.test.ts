/** The binaries' contracts that scripts rely on: messages and exit codes (needs `npm run build`). */
import * as childProcess from "node:child_process"
import * as fs from "node:fs"
import * as os from "node:os"
import * as path from "node:path"
import { describe, expect, it } from "vitest"
import { binDir, built } from "../support/process-cluster.js"

const run = (script: string, args: ReadonlyArray<string>) =>
  childProcess.spawnSync(process.execPath, [path.join(binDir, script), ...args], { encoding: "utf8", timeout: 30_000 })

describe.skipIf(!built)("command line contracts", () => {
  it("a bad servers file is one message naming file and line, exit 2", () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "troupe-cli-"))
    const file = path.join(dir, "servers.txt")
    fs.writeFileSync(file, "# cluster\n127.0.0.1:7001\n127.0.0.2:99999\n")
    const result = run("troupe.mjs", ["node", "--servers", file, "--data", dir])
    expect(result.status).toBe(2)
    expect(result.stdout.trim()).toBe(`ERROR: ${file}:3: "99999" is not a port number (1-65535)`)
    fs.rmSync(dir, { recursive: true })
  })

  it("a bad config value names the key, exit 2", () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "troupe-cli-"))
    const config = path.join(dir, "troupe.json")
    fs.writeFileSync(config, JSON.stringify({ raft: { heartbeatEvery: "often" } }))
    const result = run("troupe.mjs", ["node", "--servers", "servers.txt", "--config", config, "--data", dir])
    expect(result.status).toBe(2)
    expect(result.stdout).toContain("heartbeatEvery")
    fs.rmSync(dir, { recursive: true })
  })

  it("troupe-client prints ERROR and exits 1 when no node answers", () => {
    // Port 1 on loopback: nothing listens; the client gives up after its total timeout.
    const result = childProcess.spawnSync(process.execPath, [path.join(binDir, "troupe-client.mjs"), "-h", "127.0.0.1:1", "-k", "x"], {
      encoding: "utf8", timeout: 30_000, env: { ...process.env, TROUPE_CONFIG_JSON: JSON.stringify({ client: { totalTimeout: "1 second" } }) }
    })
    expect(result.status).toBe(1)
    expect(result.stdout).toMatch(/^ERROR: /)
  })

  it("troupe-client without -k is a usage error, exit 2", () => {
    expect(run("troupe-client.mjs", ["-h", "127.0.0.1:1"]).status).toBe(2)
  })
})
