/**
 * A mixed cluster: two nodes on Node and one on Deno (troupe-deno), real processes on loopback.
 * They elect a leader, serve writes and reads through every node, survive the Deno node's
 * death, and the Deno node serves compute calls from its own (Deno) worker pool.
 */
import * as childProcess from "node:child_process"
import * as fs from "node:fs"
import * as os from "node:os"
import * as path from "node:path"
import { afterAll, beforeAll, describe, expect, it } from "vitest"
import { computeClient } from "../../src/compute/client.js"

const bin = path.resolve("dist/bin")
const built = fs.existsSync(path.join(bin, "troupe-deno.mjs")) && fs.existsSync(path.join(bin, "troupe.mjs"))
const denoInstalled = fs.existsSync(path.resolve("node_modules/@deno/linux-x64-glibc/deno"))

const port = 20000 + Math.floor(Math.random() * 20000)
const hosts = ["127.0.0.1", "127.0.0.2", "127.0.0.3"].map((host) => `${host}:${port}`)
const dir = fs.mkdtempSync(path.join(os.tmpdir(), "troupe-mixed-"))
const children: Array<childProcess.ChildProcess> = []

const start = (self: number, runtime: "node" | "deno") => {
  const script = path.join(bin, runtime === "node" ? "troupe.mjs" : "troupe-deno.mjs")
  const child = childProcess.spawn(process.execPath, [
    script, "node", "--servers", path.join(dir, "servers.txt"), "--self", String(self), "--data", path.join(dir, `data${self}`)
  ], { stdio: ["ignore", "ignore", "inherit"], env: { ...process.env, TROUPE_SECRET: "mixed-cluster-test-secret" } })
  children.push(child)
  return child
}

const get = async (host: string, target: string): Promise<{ status: number; body: string }> => {
  const response = await fetch(`http://${host}${target}`, { signal: AbortSignal.timeout(3000) })
  return { status: response.status, body: await response.text() }
}

/** Polls `attempt` until it returns a value (bounded: 150 tries, 100 ms apart). */
const eventually = async <A>(attempt: () => Promise<A | undefined>): Promise<A> => {
  for (let i = 0; i < 150; i++) {
    const value = await attempt().catch(() => undefined)
    if (value !== undefined) return value
    await new Promise((resolve) => setTimeout(resolve, 100))
  }
  throw new Error("condition not reached within 15 s")
}

describe.skipIf(!built || !denoInstalled)("mixed Node and Deno cluster (real processes)", () => {
  let deno: childProcess.ChildProcess
  beforeAll(() => {
    fs.writeFileSync(path.join(dir, "servers.txt"), hosts.join("\n") + "\n")
    start(1, "node")
    start(2, "node")
    deno = start(3, "deno")
  })
  afterAll(() => {
    for (const child of children) if (child.exitCode === null && child.signalCode === null) child.kill("SIGKILL")
    fs.rmSync(dir, { recursive: true, force: true })
  })

  it("elects, writes and reads through every node, including the Deno one", async () => {
    const leader = await eventually(async () => {
      const status = JSON.parse((await get(hosts[2]!, "/status")).body) as { leader: string | null }
      return status.leader ?? undefined
    })
    expect(hosts).toContain(leader)
    for (const [i, host] of hosts.entries()) {
      expect(await eventually(async () => {
        const answer = await get(host, `/k${i}=v${i}`)
        return answer.status === 200 ? answer.body : undefined
      })).toBe(`k${i}=NIL`)
    }
    for (const host of hosts) {
      for (let i = 0; i < hosts.length; i++) expect((await get(host, `/k${i}`)).body).toBe(`k${i}=v${i}`)
    }
  }, 60_000)

  it("the Deno node serves compute calls from its own worker pool", async () => {
    const client = computeClient({ hosts: [hosts[2]!] })
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
      const write = await get(hosts[0]!, "/after=kill")
      return write.status === 200 ? write.body : undefined
    })
    expect(answer).toBe("after=NIL")
    expect((await get(hosts[1]!, "/after")).body).toBe("after=kill")
  }, 60_000)
})
