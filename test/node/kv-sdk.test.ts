/**
 * The typed KV SDK (Promise API over @effect/rpc) against real node processes: every operation,
 * typed errors, a dead node in the host list, and a leader killed between two calls.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest"
import { connectKv } from "../../src/sdk/kv-client.js"
import { built, eventually, httpGet, testCluster } from "../support/node-processes.js"

describe.skipIf(!built)("KV SDK (real processes)", () => {
  const cluster = testCluster(3)
  const children: Array<ReturnType<typeof cluster.start>> = []
  beforeAll(async () => {
    for (let self = 1; self <= 3; self++) children.push(cluster.start(self))
    await eventually(async () => {
      const status = JSON.parse((await httpGet(cluster.hosts[0]!, "/status")).body) as { leader: string | null }
      return status.leader ?? undefined
    })
  }, 60_000)
  afterAll(() => cluster.stopAll())

  it("serves every operation and reports typed errors", async () => {
    // 127.0.0.9 runs nothing: the client must skip it.
    const kv = await connectKv({ hosts: [`127.0.0.9:${cluster.hosts[0]!.split(":")[1]}`, ...cluster.hosts] })
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
    const kv = await connectKv({ hosts: [...cluster.hosts] })
    try {
      expect(await kv.put("sdk-failover", "before")).toBeNull()
      const leader = JSON.parse((await httpGet(cluster.hosts[0]!, "/status")).body) as { leader: string }
      const index = cluster.hosts.indexOf(leader.leader)
      children[index]!.kill("SIGKILL")
      expect(await kv.put("sdk-failover", "after")).toBe("before")
      expect(await kv.get("sdk-failover")).toBe("after")
    } finally {
      await kv.close()
    }
  }, 60_000)
})
