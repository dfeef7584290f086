/**
 * Lab03's broker on real processes: a node with one worker and a one-call queue, flooded with
 * slow calls, runs the overflow on its peers instead of refusing it.
 */
import * as crypto from "node:crypto"
import { afterAll, beforeAll, describe, expect, it } from "vitest"
import { computeClient } from "../../src/compute/client.js"
import { built, eventually, httpGet, type StartedCluster, startCluster } from "../support/process-cluster.js"

const metric = (text: string, name: string): number => {
  const line = text.split("\n").find((candidate) => candidate.startsWith(`${name} `))
  return line === undefined ? 0 : Number(line.split(" ")[1])
}

describe.skipIf(!built)("compute broker (real processes)", () => {
  let started: StartedCluster
  let busy: string, spare: string
  // The test waits for what it needs (the peer link), not for a leader.
  beforeAll(async () => {
    started = await startCluster(["127.0.0.1", "127.0.0.2"], crypto.randomBytes(18).toString("base64url"), {
      launch: (index) => index === 0 ? { config: { compute: { workers: 1, queueCapacity: 1 } } } : {},
      waitForLeader: false
    })
    ;[busy, spare] = started.hosts as [string, string]
  }, 60_000)
  afterAll(() => started?.close(), 30_000)

  it("a saturated node offloads calls to a peer and every caller gets its answer", async () => {
    await eventually(async () => {
      const status = JSON.parse((await httpGet(spare, "/status")).body) as { peers: Record<string, { reachable: boolean }> }
      return status.peers[busy]?.reachable === true ? true : undefined
    })
    const client = computeClient({ hosts: [busy] })
    try {
      // A 300-digit prime keeps a worker busy long enough for the queue to fill.
      const prime = 2n ** 1279n - 1n
      const answers = await Promise.all(Array.from({ length: 8 }, () => client.isPrime(prime)))
      expect(answers.every((answer) => answer.prime)).toBe(true)
    } finally {
      await client.close()
    }
    const offloaded = metric((await httpGet(busy, "/metrics")).body, "troupe_compute_offloaded_total")
    const served = metric((await httpGet(spare, "/metrics")).body, "troupe_compute_served_for_peers_total")
    expect(offloaded).toBeGreaterThan(0)
    expect(served).toBe(offloaded)
  }, 60_000)
})
