/**
 * The determinism check: a small cluster of ping-pong nodes under random faults, partitions,
 * a crash/restart and a pause, run twice with one seed (identical traces) and once with another
 * (a different trace). The seed is in every assertion message so a failure can be replayed.
 */
import { describe, expect, it } from "@effect/vitest"
import { Effect, Fiber } from "effect"
import type { NodeId } from "../../src/config/servers.js"
import { SimNetwork } from "../../src/sim/network.js"
import { Prng } from "../../src/sim/random.js"
import { advanceMs, countsOf, ping } from "./sim-helpers.js"

const nodeIds: ReadonlyArray<NodeId> = ["n1", "n2", "n3", "n4"]
const stepMs = 5
const steps = 100
const pingEveryMs = 10

type Network = Effect.Effect.Success<ReturnType<typeof SimNetwork.make>>

/** One node: answers every Ping with a Pong, and pings a random peer every `pingEveryMs`. */
const startNode = (network: Network, self: NodeId, prng: Prng, latch: Effect.Latch) =>
  Effect.gen(function*() {
    const transport = yield* network.transportFor(self)
    const peers = nodeIds.filter((id) => id !== self)
    const responder = Effect.forever(Effect.gen(function*() {
      const inbound = yield* transport.receive
      yield* latch.await
      if (inbound.message._tag === "Ping") {
        yield* transport.send(inbound.from, { _tag: "Pong", seq: inbound.message.seq, sentAtMs: inbound.message.sentAtMs })
      }
    }))
    let seq = 0
    const pinger = Effect.forever(Effect.gen(function*() {
      yield* Effect.sleep(pingEveryMs)
      yield* latch.await
      yield* transport.send(peers[prng.nextIntBetween(0, peers.length - 1)]!, ping(seq++))
    }))
    return yield* Effect.forkScoped(Effect.all([responder, pinger], { concurrency: "unbounded", discard: true }))
  })

/** Scripted node and topology faults at fixed steps; link faults change at random steps. */
const scenario = (seed: number) =>
  Effect.scoped(Effect.gen(function*() {
    const network = yield* SimNetwork.make({
      seed,
      nodes: nodeIds,
      linkFaults: {
        delayMinMs: 1,
        delayMaxMs: 25,
        lossProbability: 0.1,
        duplicateProbability: 0.05,
        reorderProbability: 0.1,
        reorderExtraMaxMs: 15
      }
    })
    const harnessPrng = new Prng(seed).fork("harness")
    const latches = new Map<NodeId, Effect.Latch>()
    const fibers = new Map<NodeId, Fiber.RuntimeFiber<void>>()
    for (const id of nodeIds) {
      const latch = yield* Effect.makeLatch(true)
      latches.set(id, latch)
      fibers.set(id, yield* startNode(network, id, new Prng(seed).fork(id), latch))
    }
    for (let step = 0; step < steps; step++) {
      switch (step) {
        case 20: yield* network.partition([["n1", "n2"], ["n3", "n4"]]); break
        case 35: yield* network.heal; break
        case 40:
          yield* Fiber.interrupt(fibers.get("n3")!)
          yield* network.crash("n3")
          break
        case 50:
          yield* latches.get("n4")!.close
          yield* network.pause("n4")
          break
        case 60:
          yield* network.restart("n3")
          fibers.set("n3", yield* startNode(network, "n3", new Prng(seed).fork("n3 again"), latches.get("n3")!))
          break
        case 65:
          yield* network.resume("n4")
          yield* latches.get("n4")!.open
          break
        case 70: yield* network.cut("n1", "n2"); break
        case 80: yield* network.bridge(["n1"], ["n3", "n4"], "n2"); break
        case 90: yield* network.heal; break
      }
      if (harnessPrng.chance(0.1)) {
        yield* network.setDefaultLinkFaults({ lossProbability: harnessPrng.nextIntBetween(0, 30) / 100 })
      }
      yield* advanceMs(stepMs)
    }
    return {
      trace: yield* network.trace,
      digest: yield* network.traceDigest,
      fates: countsOf(yield* network.fateCounts)
    }
  }))

describe("SimNetwork determinism", () => {
  it.effect("the same seed replays the same trace; another seed gives another", () =>
    Effect.gen(function*() {
      const seed = 20240611
      const first = yield* scenario(seed)
      const second = yield* scenario(seed)
      expect(second.trace, `seed ${seed}`).toEqual(first.trace)
      expect(second.digest, `seed ${seed}`).toBe(first.digest)

      // The scenario really exercised the faults it claims to.
      expect(first.trace.length, `seed ${seed}`).toBeGreaterThan(200)
      for (const fate of ["delivered", "lost", "dup", "blocked", "held", "resumed", "dropped-crashed"]) {
        expect(first.fates[fate] ?? 0, `seed ${seed}: fate ${fate}`).toBeGreaterThan(0)
      }

      const otherSeed = seed + 1
      const other = yield* scenario(otherSeed)
      expect(other.digest, `seeds ${seed} and ${otherSeed}`).not.toBe(first.digest)
      expect(other.trace, `seeds ${seed} and ${otherSeed}`).not.toEqual(first.trace)
    }), 60_000)
})
