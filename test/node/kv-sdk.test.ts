/**
 * The typed KV SDK (Promise API over @effect/rpc) against real node processes: every operation,
 * typed errors, a dead node in the host list, and a leader killed between two calls.
 */
import * as crypto from "node:crypto"
import { Effect } from "effect"
import { afterAll, beforeAll, describe, expect, it } from "vitest"
import { connectKv } from "../../src/sdk/kv-client.js"
import { built, eventually, httpGet, type StartedCluster, startCluster } from "../support/process-cluster.js"

describe.skipIf(!built)("KV SDK (real processes)", () => {
  let started: StartedCluster
  beforeAll(async () => {
    started = await startCluster(["127.0.0.1", "127.0.0.2", "127.0.0.3"], crypto.randomBytes(18).toString("base64url"))
    // A majority agreeing on the leader does not mean node 1 has heard of it yet; the tests ask node 1.
    await eventually(async () => {
      const status = JSON.parse((await httpGet(started.hosts[0]!, "/status")).body) as { leader: string | null }
      return status.leader ?? undefined
    })
  }, 120_000)
  afterAll(() => started?.close(), 30_000)

  it("serves every operation and reports typed errors", async () => {
    // 127.0.0.9 runs nothing: the client must skip it.
    const kv = await connectKv({ hosts: [`127.0.0.9:${started.hosts[0]!.split(":")[1]}`, ...started.hosts] })
    try {
      expect(await kv.put("sdk-a", "1")).toBeNull()
      expect(await kv.put("sdk-a", "2")).toBe("1")
      expect(await kv.get("sdk-a")).toBe("2")
      expect(await kv.cas("sdk-a", "1", "x")).toBe(false)
      expect(await kv.cas("sdk-a", "2", "3")).toBe(true)
      expect(await kv.cas("sdk-b", null, "new")).toBe(true)
      expect(await kv.keys("sdk-")).toEqual(["sdk-a", "sdk-b"])
      expect(await kv.size()).toBeGreaterThanOrEqual(2)
      expect(await kv.del("sdk-b")).toBe("new")
      expect(await kv.get("sdk-b")).toBeNull()
      expect(await kv.verify(1)).toBe(true)
      expect(await kv.verify(1000)).toBe(false)
      const bad = await kv.put("bad[key", "v").then(() => undefined, (error: unknown) => error)
      expect(bad).toMatchObject({ _tag: "KvError", reason: "BadRequest" })
    } finally {
      await kv.close()
    }
  }, 60_000)

  it("goes on through a new leader after the leader is killed", async () => {
    const kv = await connectKv({ hosts: [...started.hosts] })
    try {
      expect(await kv.put("sdk-failover", "before")).toBeNull()
      const leader = JSON.parse((await httpGet(started.hosts[0]!, "/status")).body) as { leader: string }
      const index = started.hosts.indexOf(leader.leader)
      await Effect.runPromise(started.cluster.signal(index, "SIGKILL"))
      expect(await kv.put("sdk-failover", "after")).toBe("before")
      expect(await kv.get("sdk-failover")).toBe("after")
    } finally {
      await kv.close()
    }
  }, 60_000)
})
