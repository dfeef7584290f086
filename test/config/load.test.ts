import { describe, expect, it } from "@effect/vitest"
import * as fs from "node:fs"
import * as os from "node:os"
import * as path from "node:path"
import { Duration, Either } from "effect"
import { defaultConfig, loadConfig } from "../../src/config/load.js"

describe("configuration", () => {
  it("defaults carry the lab timings as Durations", () => {
    const config = defaultConfig()
    expect(Duration.toMillis(config.raft.electionTimeoutMin)).toBe(150)
    expect(Duration.toMillis(config.raft.electionTimeoutMax)).toBe(300)
    expect(Duration.toMillis(config.raft.heartbeatEvery)).toBe(50)
    expect(config.transfer.triesPerMessage).toBe(5)
    expect(Duration.toMillis(config.transfer.retryEvery)).toBe(500)
    expect(Duration.toMillis(config.transfer.sessionIdleTimeout)).toBe(3000)
    expect(Duration.toMillis(config.transfer.finishedRetention)).toBe(1000)
  })

  it("a file, then the environment, then flags override the defaults", () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "troupe-config-"))
    const file = path.join(dir, "troupe.json")
    fs.writeFileSync(file, JSON.stringify({ raft: { heartbeatEvery: "20 millis" }, clusterId: "from-file" }))
    const config = Either.getOrThrow(loadConfig({
      file,
      env: { TROUPE_SECRET: "a-secret-from-env", TROUPE_CLUSTER_ID: "from-env" },
      overrides: { http: { maxInflightRequests: 7 } }
    }))
    expect(Duration.toMillis(config.raft.heartbeatEvery)).toBe(20)
    expect(Duration.toMillis(config.raft.electionTimeoutMin)).toBe(150)
    expect(config.secret).toBe("a-secret-from-env")
    expect(config.clusterId).toBe("from-env")
    expect(config.http.maxInflightRequests).toBe(7)
    fs.rmSync(dir, { recursive: true })
  })

  it("a bad value is one clear message naming the source and the key", () => {
    const bad = loadConfig({ overrides: { raft: { heartbeatEvery: "soon" } } })
    expect(Either.isLeft(bad)).toBe(true)
    if (Either.isLeft(bad)) {
      expect(bad.left.message).toContain("heartbeatEvery")
      expect(bad.left.message).toContain("not a duration")
    }
    const unknownKey = loadConfig({ overrides: { raft: { heartbeatEvry: "1 second" } } })
    expect(Either.isLeft(unknownKey) && unknownKey.left.message).toContain("heartbeatEvry")
    const inverted = loadConfig({ overrides: { raft: { electionTimeoutMin: "400 millis" } } })
    expect(Either.isLeft(inverted) && inverted.left.message).toContain("electionTimeoutMin")
    const notJson = loadConfig({ env: { TROUPE_CONFIG_JSON: "{oops" } })
    expect(Either.isLeft(notJson) && notJson.left.message).toContain("TROUPE_CONFIG_JSON")
  })
})
