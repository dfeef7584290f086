/**
 * A mixed cluster: two nodes on Node and one on Deno (troupe-deno), real processes on loopback.
 * They elect a leader, serve writes and reads through every node, survive the Deno node's
 * death, and the Deno node serves compute calls from its own (Deno) worker pool.
 */
import * as crypto from "node:crypto"
import * as fs from "node:fs"
import * as path from "node:path"
import { Effect } from "effect"
import { afterAll, beforeAll, describe, expect, it } from "vitest"
import { computeClient } from "../../src/compute/client.js"
import { binDir, built, eventually, httpGet, type StartedCluster, startCluster } from "../support/process-cluster.js"

const denoInstalled = fs.existsSync(path.resolve("node_modules/@deno/linux-x64-glibc/deno"))
const ready = built && fs.existsSync(path.join(binDir, "troupe-deno.mjs")) && denoInstalled
const denoIndex = 2

describe.skipIf(!ready)("mixed Node and Deno cluster (real processes)", () => {
  let started: StartedCluster
  let first: string, second: string, third: string
  // No wait for a leader here: electing one with the Deno node is what the first test checks.
  beforeAll(async () => {
    started = await startCluster(["127.0.0.1", "127.0.0.2", "127.0.0.3"], crypto.randomBytes(18).toString("base64url"), {
      launch: (index) => index === denoIndex ? { runtime: "deno" } : {},
      waitForLeader: false
    })
    ;[first, second, third] = started.hosts as [string, string, string]
  }, 60_000)
  afterAll(() => started?.close(), 30_000)

  it("elects, writes and reads through every node, including the Deno one", async () => {
    const leader = await eventually(async () => {
      const status = JSON.parse((await httpGet(third, "/status")).body) as { leader: string | null }
      return status.leader ?? undefined
    })
    expect(started.hosts).toContain(leader)
    for (const [i, host] of started.hosts.entries()) {
      expect(await eventually(async () => {
        const answer = await httpGet(host, `/k${i}=v${i}`)
        return answer.status === 200 ? answer.body : undefined
      })).toBe(`k${i}=NIL`)
    }
    for (const host of started.hosts) {
      for (let i = 0; i < started.hosts.length; i++) expect((await httpGet(host, `/k${i}`)).body).toBe(`k${i}=v${i}`)
    }
  }, 60_000)

  it("the Deno node serves compute calls from its own worker pool", async () => {
    const client = computeClient({ hosts: [third] })
    try {
      expect(await client.isPrime(2305843009213693951n)).toEqual({ n: 2305843009213693951n, prime: true })
      expect((await client.gcd(12, 18)).gcd).toBe(6n)
    } finally {
      await client.close()
    }
  }, 60_000)

  it("the Node nodes go on after the Deno node is killed", async () => {
    await Effect.runPromise(started.cluster.signal(denoIndex, "SIGKILL"))
    const answer = await eventually(async () => {
      const write = await httpGet(first, "/after=kill")
      return write.status === 200 ? write.body : undefined
    })
    expect(answer).toBe("after=NIL")
    expect((await httpGet(second, "/after")).body).toBe("after=kill")
  }, 60_000)
})
