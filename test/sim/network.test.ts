import { describe, expect, it } from "@effect/vitest"
import { Effect, Either, Exit, Fiber } from "effect"
import { Transport } from "../../src/net/Transport.js"
import { SimNetwork } from "../../src/sim/network.js"
import {
  advanceMs,
  configWithQueueCapacity,
  countsOf,
  parseLine,
  ping,
  receiveMany,
  seqOf,
  settle
} from "./sim-helpers.js"

const nodes = ["a", "b", "c", "d"]

describe("SimNetwork delivery timing", () => {
  it.scoped("a fixed delay is honoured exactly: nothing before t+d, delivered at t+d", () =>
    Effect.gen(function*() {
      const network = yield* SimNetwork.make({ seed: 1, nodes, linkFaults: { delayMinMs: 5, delayMaxMs: 5 } })
      const a = yield* network.transportFor("a")
      const b = yield* network.transportFor("b")
      yield* advanceMs(3)
      yield* a.send("b", ping(1))
      yield* advanceMs(4)
      expect((yield* b.stats).receivedMessages).toBe(0)
      yield* advanceMs(1)
      expect((yield* b.stats).receivedMessages).toBe(1)
      const inbound = yield* b.receive
      expect(inbound).toEqual({ from: "a", message: ping(1) })
      expect(yield* network.trace).toEqual(["3 #1 a>b Ping sent +5ms", "8 #1 a>b Ping delivered"])
    }))

  it.scoped("sampled delays: every message arrives exactly at its send time plus its own delay", () =>
    Effect.gen(function*() {
      const network = yield* SimNetwork.make({ seed: 7, nodes, linkFaults: { delayMinMs: 2, delayMaxMs: 40 } })
      const a = yield* network.transportFor("a")
      const b = yield* network.transportFor("b")
      const deliveredAt = new Map<number, number>()
      for (let stepMs = 0; stepMs < 200; stepMs++) {
        if (stepMs < 100) yield* a.send("b", ping(stepMs, stepMs))
        yield* advanceMs(1)
        const received = (yield* b.stats).receivedMessages
        for (const inbound of yield* receiveMany(b.receive, received - deliveredAt.size)) {
          deliveredAt.set(seqOf(inbound), stepMs + 1)
        }
      }
      expect(deliveredAt.size).toBe(100)
      const lines = (yield* network.trace).map(parseLine)
      const delays = new Set<number>()
      for (const line of lines) {
        if (line?.fate !== "sent") continue
        const delayMs = Number(/\+(\d+)ms/.exec(line.detail)![1])
        delays.add(delayMs)
        expect(delayMs).toBeGreaterThanOrEqual(2)
        expect(delayMs).toBeLessThanOrEqual(40)
        // Message seq k was sent at k ms; the harness observed it in the step ending at k + delay.
        expect(deliveredAt.get(line.id - 1)).toBe(line.timeMs + delayMs)
      }
      expect(delays.size).toBeGreaterThan(20)
    }))

  it.scoped("delay jitter reorders; an explicit reorder probability reorders a fixed-delay link", () =>
    Effect.gen(function*() {
      const arrivalOrder = (seed: number, reorderProbability: number) =>
        Effect.scoped(Effect.gen(function*() {
          const network = yield* SimNetwork.make({
            seed,
            nodes,
            linkFaults: { delayMinMs: 3, delayMaxMs: 3, reorderProbability, reorderExtraMaxMs: 10 }
          })
          const a = yield* network.transportFor("a")
          const b = yield* network.transportFor("b")
          for (let seq = 0; seq < 50; seq++) {
            yield* a.send("b", ping(seq))
            yield* advanceMs(1)
          }
          yield* advanceMs(20)
          return (yield* receiveMany(b.receive, 50)).map(seqOf)
        }))
      const inOrder = Array.from({ length: 50 }, (_, seq) => seq)
      expect(yield* arrivalOrder(3, 0)).toEqual(inOrder)
      const reordered = yield* arrivalOrder(3, 0.3)
      expect(reordered).not.toEqual(inOrder)
      expect([...reordered].sort((x, y) => x - y)).toEqual(inOrder)

      const jittery = yield* SimNetwork.make({ seed: 4, nodes, linkFaults: { delayMinMs: 0, delayMaxMs: 30 } })
      const from = yield* jittery.transportFor("a")
      const to = yield* jittery.transportFor("b")
      for (let seq = 0; seq < 50; seq++) yield* from.send("b", ping(seq))
      yield* advanceMs(30)
      const jittered = (yield* receiveMany(to.receive, 50)).map(seqOf)
      expect(jittered).not.toEqual(inOrder)
    }))
})

describe("SimNetwork faults", () => {
  it.scoped("loss rate roughly matches its probability over many messages", () =>
    Effect.gen(function*() {
      const network = yield* SimNetwork.make({ seed: 2024, nodes, linkFaults: { lossProbability: 0.3 } })
      const a = yield* network.transportFor("a")
      const b = yield* network.transportFor("b")
      const total = 3000
      for (let seq = 0; seq < total; seq++) yield* a.send("b", ping(seq))
      yield* settle
      const received = (yield* b.stats).receivedMessages
      const counts = countsOf(yield* network.fateCounts)
      expect(counts.lost! + counts.delivered!).toBe(total)
      expect(received).toBe(counts.delivered)
      // 3000 draws at p = 0.3: the standard deviation of the loss count is about 25.
      expect(Math.abs(counts.lost! - 0.3 * total)).toBeLessThan(125)
      expect((yield* a.stats).sentMessages).toBe(total)
    }))

  it.scoped("duplication delivers extra copies, each counted", () =>
    Effect.gen(function*() {
      const network = yield* SimNetwork.make({ seed: 9, nodes, linkFaults: { duplicateProbability: 1 } })
      const a = yield* network.transportFor("a")
      const b = yield* network.transportFor("b")
      for (let seq = 0; seq < 10; seq++) yield* a.send("b", ping(seq))
      yield* settle
      const seqs = (yield* receiveMany(b.receive, 20)).map(seqOf).sort((x, y) => x - y)
      expect(seqs).toEqual(Array.from({ length: 20 }, (_, index) => Math.floor(index / 2)))
      yield* network.setDefaultLinkFaults({ duplicateProbability: 0.5 })
      for (let seq = 0; seq < 2000; seq++) yield* a.send("c", ping(seq))
      yield* settle
      const duplicates = (yield* network.stats("c")).receivedMessages - 2000
      expect(Math.abs(duplicates - 1000)).toBeLessThan(120)
    }))

  it.scoped("per-link overrides apply to one direction only", () =>
    Effect.gen(function*() {
      const network = yield* SimNetwork.make({ seed: 3, nodes })
      yield* network.setLinkFaults("a", "b", { lossProbability: 1 })
      const a = yield* network.transportFor("a")
      const b = yield* network.transportFor("b")
      yield* a.send("b", ping(1))
      yield* b.send("a", ping(2))
      yield* settle
      expect((yield* b.stats).receivedMessages).toBe(0)
      expect((yield* a.stats).receivedMessages).toBe(1)
      yield* network.clearLinkOverrides
      yield* a.send("b", ping(3))
      yield* settle
      expect(seqOf(yield* b.receive)).toBe(3)
    }))
})

type Network = Effect.Effect.Success<ReturnType<typeof SimNetwork.make>>

/** Sends one message on every ordered pair and returns which arrived, as "from>to". */
const reachable = (network: Network) =>
  Effect.gen(function*() {
    const receivedBefore = new Map<string, number>()
    for (const node of nodes) receivedBefore.set(node, (yield* network.stats(node)).receivedMessages)
    for (const from of nodes) {
      const transport = yield* network.transportFor(from)
      for (const to of nodes) if (to !== from) yield* transport.send(to, ping(0))
    }
    yield* advanceMs(1)
    const arrived: Array<string> = []
    for (const to of nodes) {
      const transport = yield* network.transportFor(to)
      const arrivals = (yield* network.stats(to)).receivedMessages - receivedBefore.get(to)!
      for (const inbound of yield* receiveMany(transport.receive, arrivals)) arrived.push(`${inbound.from}>${to}`)
    }
    return arrived.sort()
  })

const allPairs = nodes.flatMap((from) => nodes.filter((to) => to !== from).map((to) => `${from}>${to}`)).sort()

describe("SimNetwork topology", () => {
  it.scoped("symmetric partition, one-way cut, isolate, bridge, heal", () =>
    Effect.gen(function*() {
      const network = yield* SimNetwork.make({ seed: 5, nodes })
      expect(yield* reachable(network)).toEqual(allPairs)

      yield* network.partition([["a", "b"], ["c", "d"]])
      expect(yield* reachable(network)).toEqual(["a>b", "b>a", "c>d", "d>c"])

      yield* network.heal
      yield* network.cut("a", "b")
      expect(yield* reachable(network)).toEqual(allPairs.filter((pair) => pair !== "a>b"))

      yield* network.heal
      yield* network.isolate("c")
      expect(yield* reachable(network)).toEqual(["a>b", "a>d", "b>a", "b>d", "d>a", "d>b"])

      yield* network.heal
      yield* network.bridge(["a"], ["c", "d"], "b")
      expect(yield* reachable(network)).toEqual(["a>b", "b>a", "b>c", "b>d", "c>b", "c>d", "d>b", "d>c"])

      yield* network.heal
      expect(yield* reachable(network)).toEqual(allPairs)
      expect((yield* network.trace).filter((line) => line.includes(" * "))).toEqual([
        "1 * partition [a,b] [c,d]",
        "2 * heal",
        "2 * cut a>b",
        "3 * heal",
        "3 * isolate c",
        "4 * heal",
        "4 * bridge [a] b [c,d]",
        "5 * heal"
      ])
    }))

  it.scoped("a partition drops messages already in flight across it", () =>
    Effect.gen(function*() {
      const network = yield* SimNetwork.make({ seed: 5, nodes, linkFaults: { delayMinMs: 10, delayMaxMs: 10 } })
      const a = yield* network.transportFor("a")
      yield* a.send("b", ping(1))
      yield* advanceMs(5)
      yield* network.partition([["a"], ["b"]])
      yield* advanceMs(10)
      expect((yield* network.stats("b")).receivedMessages).toBe(0)
      expect(countsOf(yield* network.fateCounts)).toEqual({ sent: 1, "dropped-blocked": 1 })
    }))
})

describe("SimNetwork node lifecycle", () => {
  it.scoped("crash discards the inbox and in-flight messages; restart gives a fresh inbox", () =>
    Effect.gen(function*() {
      const network = yield* SimNetwork.make({ seed: 6, nodes })
      const a = yield* network.transportFor("a")
      const b = yield* network.transportFor("b")
      for (let seq = 0; seq < 3; seq++) yield* a.send("b", ping(seq))
      yield* settle
      const blockedReceiver = yield* b.receive.pipe(Effect.zipRight(b.receive), Effect.zipRight(b.receive),
        Effect.zipRight(b.receive), Effect.fork)
      yield* settle
      yield* network.crash("b")
      // The crashed node's old receive never returns a message: it is released as interrupted.
      expect(Exit.isInterrupted(yield* Fiber.await(blockedReceiver))).toBe(true)

      yield* a.send("b", ping(10))
      yield* network.setDefaultLinkFaults({ delayMinMs: 10, delayMaxMs: 10 })
      yield* a.send("b", ping(11))
      yield* advanceMs(5)
      yield* network.restart("b")
      yield* network.setDefaultLinkFaults({ delayMinMs: 0, delayMaxMs: 0 })
      yield* a.send("b", ping(12))
      yield* advanceMs(10)
      expect(seqOf(yield* b.receive)).toBe(12)
      const counts = countsOf(yield* network.fateCounts)
      expect(counts["dropped-crashed"]).toBe(1)
      expect(counts["dropped-stale"]).toBe(1)
      expect((yield* network.stats("b")).receivedMessages).toBe(4)
    }))

  it.scoped("a crashed node cannot send; lifecycle calls in the wrong state fail with a typed error", () =>
    Effect.gen(function*() {
      const network = yield* SimNetwork.make({ seed: 6, nodes })
      const a = yield* network.transportFor("a")
      yield* network.crash("a")
      yield* a.send("b", ping(1))
      yield* settle
      expect(countsOf(yield* network.fateCounts)).toEqual({ "sender-down": 1 })
      const again = yield* Effect.either(network.crash("a"))
      expect(Either.isLeft(again) && again.left.message).toBe(`sim crash: node "a" is crashed`)
      expect(Either.isLeft(yield* Effect.either(network.restart("b")))).toBe(true)
      expect(Either.isLeft(yield* Effect.either(network.resume("b")))).toBe(true)
      expect(Either.isLeft(yield* Effect.either(network.transportFor("nobody")))).toBe(true)
      expect(Either.isLeft(yield* Effect.either(network.partition([["a", "nobody"]])))).toBe(true)
      expect(Either.isLeft(yield* Effect.either(network.setDefaultLinkFaults({ lossProbability: 2 })))).toBe(true)
      expect(yield* network.status("a")).toBe("crashed")
    }))

  it.scoped("pause holds inbound messages; resume delivers them in arrival order", () =>
    Effect.gen(function*() {
      const network = yield* SimNetwork.make({ seed: 8, nodes, linkFaults: { delayMinMs: 1, delayMaxMs: 1 } })
      const a = yield* network.transportFor("a")
      const b = yield* network.transportFor("b")
      yield* network.pause("b")
      for (let seq = 0; seq < 3; seq++) yield* a.send("b", ping(seq))
      yield* advanceMs(50)
      expect((yield* b.stats).receivedMessages).toBe(0)
      expect(countsOf(yield* network.fateCounts).held).toBe(3)
      yield* network.resume("b")
      expect((yield* receiveMany(b.receive, 3)).map(seqOf)).toEqual([0, 1, 2])
      expect((yield* network.trace).slice(-3)).toEqual([
        "50 #1 a>b Ping resumed",
        "50 #2 a>b Ping resumed",
        "50 #3 a>b Ping resumed"
      ])
    }))
})

describe("SimNetwork limits", () => {
  it.scoped("inboxes, held buffers and per-link in-flight counts are bounded and drops are counted", () =>
    Effect.gen(function*() {
      const network = yield* SimNetwork.make({ seed: 1, nodes, config: configWithQueueCapacity(4) })
      const a = yield* network.transportFor("a")
      // Batches of 3 stay under the link's in-flight bound; nobody reads b's inbox.
      for (let seq = 0; seq < 6; seq++) {
        yield* a.send("b", ping(seq))
        if (seq % 3 === 2) yield* settle
      }
      expect(yield* network.stats("b")).toMatchObject({ receivedMessages: 4, droppedQueueFull: 2 })

      yield* network.pause("c")
      for (let seq = 0; seq < 6; seq++) {
        yield* a.send("c", ping(seq))
        if (seq % 3 === 2) yield* settle
      }
      expect((yield* network.stats("c")).droppedQueueFull).toBe(2)

      yield* network.setDefaultLinkFaults({ delayMinMs: 100, delayMaxMs: 100 })
      for (let seq = 0; seq < 6; seq++) yield* a.send("d", ping(seq))
      expect(yield* network.inFlight).toBe(4)
      expect((yield* a.stats).droppedQueueFull).toBe(2)
      expect(countsOf(yield* network.fateCounts)).toMatchObject({
        "dropped-inbox-full": 2,
        "dropped-held-full": 2,
        "queue-full": 2
      })
    }))

  it.scoped("invalid and oversized messages are counted and dropped, never delivered", () =>
    Effect.gen(function*() {
      const network = yield* SimNetwork.make({ seed: 1, nodes, config: configWithQueueCapacity(16, 200) })
      const a = yield* network.transportFor("a")
      yield* a.send("b", { _tag: "Ping", seq: 1.5, sentAtMs: 0 })
      yield* a.send("b", { _tag: "Forward", requestId: 1, actor: "kv", request: "x".repeat(300) })
      yield* a.send("nobody", ping(1))
      yield* a.send("b", ping(2))
      yield* settle
      expect(yield* a.stats).toMatchObject({ rejectedFrames: 2, sentMessages: 1 })
      expect(countsOf(yield* network.fateCounts)).toEqual({
        "bad-frame": 1,
        "too-large": 1,
        "unknown-dest": 1,
        sent: 1,
        delivered: 1
      })
      const b = yield* network.transportFor("b")
      expect(seqOf(yield* b.receive)).toBe(2)
    }))

  it.scoped("layerFor provides the Transport service for one node", () =>
    Effect.gen(function*() {
      const network = yield* SimNetwork.make({ seed: 1, nodes })
      const self = yield* Effect.provide(
        Effect.gen(function*() {
          const transport = yield* Transport
          yield* transport.send("b", ping(4))
          return transport.self
        }),
        network.layerFor("a")
      )
      yield* settle
      expect(self).toBe("a")
      expect((yield* network.stats("b")).receivedMessages).toBe(1)
    }))
})
