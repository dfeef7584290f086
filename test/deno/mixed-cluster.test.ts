/**
 * A mixed cluster: two nodes on Node and one on Deno (troupe-deno), real processes on loopback.
 * They elect a leader, serve writes and reads through every node, survive the Deno node's
 * death, and the Deno node serves compute calls from its own (Deno) worker pool.
 */
import * as fs from "node:fs"
import * as path from "node:path"
import { afterAll, beforeAll, describe, expect, it } from "vitest"
import { computeClient } from "../../src/compute/client.js"
import { bin, built, eventually, httpGet, testCluster } from "../support/node-processes.js"

const denoInstalled = fs.existsSync(path.resolve("node_modules/@deno/linux-x64-glibc/deno"))
const ready = built && fs.existsSync(path.join(bin, "troupe-deno.mjs")) && denoInstalled

describe.skipIf(!ready)("mixed Node and Deno cluster (real processes)", () => {
  const cluster = testCluster(3)
  const [first, second, third] = cluster.hosts as [string, string, string]
  let deno: ReturnType<typeof cluster.start>
  beforeAll(() => {
    cluster.start(1)
    cluster.start(2)
    deno = cluster.start(3, { runtime: "deno" })
  })
  afterAll(() => cluster.stopAll())

  it("elects, writes and reads through every node, including the Deno one", async () => {
    const leader = await eventually(async () => {
      const status = JSON.parse((await httpGet(third, "/status")).body) as { leader: string | null }
      return status.leader ?? undefined
    })
    expect(cluster.hosts).toContain(leader)
    for (const [i, host] of cluster.hosts.entries()) {
      expect(await eventually(async () => {
        const answer = await httpGet(host, `/k${i}=v${i}`)
        return answer.status === 200 ? answer.body : undefined
      })).toBe(`k${i}=NIL`)
    }
    for (const host of cluster.hosts) {
      for (let i = 0; i < cluster.hosts.length; i++) expect((await httpGet(host, `/k${i}`)).body).toBe(`k${i}=v${i}`)
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
    deno.kill("SIGKILL")
    const answer = await eventually(async () => {
      const write = await httpGet(first, "/after=kill")
      return write.status === 200 ? write.body : undefined
    })
    expect(answer).toBe("after=NIL")
    expect((await httpGet(second, "/after")).body).toBe("after=kill")
  }, 60_000)
})
