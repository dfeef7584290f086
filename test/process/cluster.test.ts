/**
 * Real `troupe node` processes on 127.0.0.1-3 (one port number, three addresses): KV over raw
 * HTTP and a raw socket, 400s, troupe-client, leader SIGKILL (failover < 1 s, nothing lost),
 * and a full-cluster SIGKILL and restart. Needs `npm run build`.
 */
import { afterAll, beforeAll, describe, expect, it } from "@effect/vitest"
import * as crypto from "node:crypto"
import { Effect } from "effect"
import type { NodeAddress } from "../../src/process/cluster.js"
import { built, notBuiltMessage, type StartedCluster, startCluster } from "../support/process-cluster.js"
import { awaitServing, ensureAllServing, get, getOk, rawRequest, runClient } from "./helpers.js"

if (!built) console.warn(`test/process/cluster.test.ts ${notBuiltMessage}`)

const hosts = ["127.0.0.1", "127.0.0.2", "127.0.0.3"]
/** The bound: from the leader's SIGKILL to the first write a survivor acknowledges. */
const failoverBoundMs = 1_000

describe.skipIf(!built)("a real 3-process cluster", () => {
  let started: StartedCluster
  /** Every write a node acknowledged: key -> value. */
  const acknowledged = new Map<string, string>()
  const nodes = () => started.cluster.nodes

  const write = async (node: NodeAddress, key: string, value: string) => {
    const answer = await getOk(node, `/${key}=${value}`)
    if (answer.status === 200) acknowledged.set(key, value)
    return answer
  }

  const expectAllAcknowledged = async (readers: ReadonlyArray<NodeAddress>) => {
    for (const [key, value] of acknowledged) {
      const reader = readers[key.length % readers.length]!
      const answer = await getOk(reader, `/${key}`)
      expect({ key, status: answer.status, body: answer.body }).toEqual({ key, status: 200, body: `${key}=${value}` })
    }
  }

  beforeAll(async () => {
    started = await startCluster(hosts, crypto.randomBytes(18).toString("base64url"))
  }, 200_000)

  afterAll(async () => {
    await started?.close()
  }, 30_000)

  it.live("sets through each node and reads the value back through every node over raw HTTP", () =>
    Effect.promise(async () => {
      // Single-shot requests: first make sure every node knows the leader (on a loaded machine an
      // early election can still be settling when the cluster first reports a leader).
      await Effect.runPromise(ensureAllServing(started.cluster))
      for (const node of nodes()) {
        const key = `raw${node.index}`
        const set = await write(node, key, `v${node.index}`)
        expect([set.status, set.body]).toEqual([200, `${key}=NIL`])
        expect(set.headers["x-troupe-leader"]).toMatch(/^127\.0\.0\.[123]:\d+$/)
        for (const reader of nodes()) {
          const read = await getOk(reader, `/${key}`)
          expect([read.status, read.body]).toEqual([200, `${key}=v${node.index}`])
        }
      }
      const overwrite = await write(nodes()[1]!, "raw0", "second")
      expect(overwrite.body).toBe("raw0=v0")
      expect((await getOk(nodes()[2]!, "/never-set")).body).toBe("never-set=NIL")
    }), 30_000)

  it.live("answers a bare `GET key HTTP/1.1` with no Host header and no slash", () =>
    Effect.promise(async () => {
      const node = nodes()[2]!
      const answer = await rawRequest(node.host, node.port, "GET raw1 HTTP/1.1\r\n\r\n")
      expect(answer.statusLine).toMatch(/^HTTP\/1\.1 200/)
      expect(answer.body).toBe("raw1=v1")
      const status = JSON.parse((await getOk(node, "/status")).body) as Record<string, unknown>
      expect(status).toMatchObject({ id: node.id })
      expect(["leader", "follower", "candidate"]).toContain(status.role)
    }), 30_000)

  it.live("refuses bad keys and values with 400 `ERROR: ...`", () =>
    Effect.promise(async () => {
      const node = nodes()[0]!
      const bad = ["/a%5Bb", "/a]", `/${"k".repeat(129)}`, `/k=${"v".repeat(2049)}`, "/k=a%5D", "/%zz", "/k=%e0%a4%a"]
      for (const target of bad) {
        const answer = await getOk(node, target)
        expect({ target: target.slice(0, 20), status: answer.status }).toEqual({ target: target.slice(0, 20), status: 400 })
        expect(answer.body).toMatch(/^ERROR: \S/)
      }
      // The longest key and value are fine.
      const longest = await write(node, "K".repeat(128), "V".repeat(2048))
      expect(longest.status).toBe(200)
    }), 30_000)

  it.live("troupe-client prints the server's answer, or ERROR with exit 1", () =>
    Effect.promise(async () => {
      const all = nodes().map((node) => node.id).join(",")
      const set = await runClient(["-h", all, "-k", "cli", "-v", "one"], started.env)
      expect([set.code, set.stdout.trim()]).toEqual([0, "cli=NIL"])
      acknowledged.set("cli", "one")
      const read = await runClient(["-h", nodes()[2]!.id, "-k", "cli"], started.env)
      expect([read.code, read.stdout.trim()]).toEqual([0, "cli=one"])
      const bad = await runClient(["-h", all, "-k", "bad[key"], started.env)
      expect(bad.code).toBe(1)
      expect(bad.stdout.trim()).toMatch(/^ERROR: \S/)
      // Nothing listens on port 1 of 127.0.0.9: the client gives up after its total deadline.
      const shortDeadline = { ...started.env, TROUPE_CONFIG_JSON: JSON.stringify({ client: { totalTimeout: "1 second" } }) }
      const unreachable = await runClient(["-h", "127.0.0.9:1", "-k", "x"], shortDeadline)
      expect(unreachable.code).toBe(1)
      expect(unreachable.stdout.trim()).toMatch(/^ERROR: \S/)
      const usage = await runClient(["-h", all], started.env)
      expect(usage.code).toBe(2)
    }), 60_000)

  it.live("after SIGKILL of the leader a survivor acknowledges a write within 1 s, and nothing acknowledged is lost", () =>
    Effect.gen(function*() {
      const { cluster } = started
      yield* ensureAllServing(cluster)
      const leader = yield* cluster.awaitLeader("10 seconds")
      for (let i = 0; i < 20; i++) yield* Effect.promise(() => write(nodes()[i % 3]!, `before-kill-${i}`, `w${i}`))
      const survivors = nodes().filter((node) => node.index !== leader.index)
      const killedAt = performance.now()
      yield* cluster.signal(leader.index, "SIGKILL")
      let attempt = 0
      // Bounded: 10 s of 10 ms pauses and 250 ms attempts at most.
      while (performance.now() - killedAt < 10_000) {
        const node = survivors[attempt++ % survivors.length]!
        const headers = { "x-troupe-client": "failover-test", "x-troupe-seq": "1" }
        const answer = yield* Effect.promise(() => get(node, "/after-kill=first", "250 millis", headers))
        if (answer._tag === "Right" && answer.right.status === 200) break
        yield* Effect.sleep("10 millis")
      }
      const failoverMs = performance.now() - killedAt
      console.log(`failover: first write acknowledged by a survivor ${failoverMs.toFixed(0)} ms after SIGKILL of ${leader.id}`)
      acknowledged.set("after-kill", "first")
      expect(failoverMs).toBeLessThan(failoverBoundMs)
      yield* Effect.promise(() => expectAllAcknowledged(survivors))
      yield* cluster.start(leader.index)
      yield* awaitServing(cluster, leader.index)
      yield* Effect.promise(() => expectAllAcknowledged([leader]))
    }), 60_000)

  it.live("after SIGKILL of all three and a restart, every acknowledged write is there", () =>
    Effect.gen(function*() {
      const { cluster } = started
      yield* ensureAllServing(cluster)
      yield* cluster.awaitLeader("10 seconds")
      for (let i = 0; i < 10; i++) yield* Effect.promise(() => write(nodes()[i % 3]!, `before-restart-${i}`, `r${i}`))
      for (const node of nodes()) yield* cluster.signal(node.index, "SIGKILL")
      for (const node of nodes()) expect(yield* cluster.awaitExit(node.index, "5 seconds")).toMatchObject({ signal: "SIGKILL" })
      for (const node of nodes()) yield* cluster.start(node.index)
      yield* ensureAllServing(cluster)
      expect(acknowledged.size).toBeGreaterThan(30)
      yield* Effect.promise(() => expectAllAcknowledged(nodes()))
    }), 60_000)
})
