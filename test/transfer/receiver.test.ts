/**
 * The receiver role on the in-memory network under TestClock: the 3 s idle drop and the 1 s
 * retention are pinned to the millisecond, and bad input stays contained.
 */
import { describe, expect, it } from "@effect/vitest"
import { Effect, TestClock } from "effect"
import { defaultConfig } from "../../src/config/load.js"
import { makeMemoryNetwork } from "../../src/net/datagram.js"
import { makeReceiver } from "../../src/transfer/receiver.js"
import { memorySink } from "./helpers/memory-sink.js"
import { makePeer, settle } from "./helpers/peer.js"

const base = defaultConfig()
const withTransfer = (overrides: Partial<typeof base.transfer>) => ({ ...base, transfer: { ...base.transfer, ...overrides } })
/** The ack-spacing tests count in a window of 64: an ack every 16th datagram. */
const window64 = withTransfer({ windowSize: 64 })

const setup = (config = base, dieOn?: ReadonlySet<string>) =>
  Effect.gen(function* () {
    const { layer } = makeMemoryNetwork()
    const { sink, record } = memorySink(dieOn)
    const receiver = yield* makeReceiver({ host: "127.0.0.1", port: 7000, sink, config }).pipe(Effect.provide(layer))
    const peer = () => makePeer("127.0.0.1", { host: "127.0.0.1", port: receiver.port }).pipe(Effect.provide(layer))
    return { receiver, record, peer }
  })

/** Lets the event loop finish its turn (acks held for the end of a burst go out). */
const letTurnEnd = Effect.promise(() => new Promise<void>((resolve) => setImmediate(resolve)))

const exchange = (peer: Effect.Effect.Success<ReturnType<Effect.Effect.Success<ReturnType<typeof setup>>["peer"]>>, datagram: string) =>
  Effect.zipRight(Effect.zipRight(peer.send(datagram), settle), peer.received)

describe("receiver role (TestClock)", () => {
  it.scoped("receives a file and acks exactly as the lab", () =>
    Effect.gen(function* () {
      const { peer, record, receiver } = yield* setup()
      const client = yield* peer()
      expect(yield* exchange(client, "s | 0 | hello.txt | 11")).toEqual(["a | 1 | 1024"])
      expect(yield* exchange(client, "s | 0 | hello.txt | 11")).toEqual(["a | 1 | 1024"])
      expect(yield* exchange(client, "d | 1 | hello ")).toEqual(["a | 2"])
      expect(yield* exchange(client, "d | 1 | hello ")).toEqual(["a | 2"])
      expect(yield* exchange(client, "d | 5 | x")).toEqual([])
      expect(yield* exchange(client, "d | 2 | world")).toEqual(["a | 3"])
      expect(record.committed.get("hello.txt")?.toString()).toBe("hello world")
      expect(yield* receiver.stats).toMatchObject({ completed: 1, ignored: 1, aborted: 0 })
    }))

  it.scoped("drops a session idle for exactly 3 s, and refreshes on activity", () =>
    Effect.gen(function* () {
      const { peer, record, receiver } = yield* setup()
      const client = yield* peer()
      yield* exchange(client, "s | 0 | slow.bin | 100")
      yield* exchange(client, "d | 1 | abc")
      yield* TestClock.adjust("2000 millis")
      expect(yield* exchange(client, "d | 1 | abc")).toEqual(["a | 2"])
      yield* TestClock.adjust("2999 millis")
      yield* settle
      expect(yield* receiver.sessionCount).toBe(1)
      yield* TestClock.adjust("1 millis")
      yield* settle
      expect(yield* receiver.sessionCount).toBe(0)
      expect(record.aborted).toEqual(["slow.bin"])
      expect(yield* exchange(client, "d | 2 | def")).toEqual([])
      expect(yield* receiver.stats).toMatchObject({ aborted: 1, unexpected: 1 })
    }))

  it.scoped("keeps a finished session exactly 1 s for late duplicates", () =>
    Effect.gen(function* () {
      const { peer, receiver } = yield* setup()
      const client = yield* peer()
      yield* exchange(client, "s | 0 | done.bin | 3")
      expect(yield* exchange(client, "d | 1 | abc")).toEqual(["a | 2"])
      yield* TestClock.adjust("999 millis")
      expect(yield* exchange(client, "d | 1 | abc")).toEqual(["a | 2"])
      yield* TestClock.adjust("1 millis")
      yield* settle
      expect(yield* receiver.sessionCount).toBe(0)
      expect(yield* exchange(client, "d | 1 | abc")).toEqual([])
    }))

  it.scoped("a zero-byte file is committed on its start", () =>
    Effect.gen(function* () {
      const { peer, record } = yield* setup()
      const client = yield* peer()
      expect(yield* exchange(client, "s | 0 | empty | 0")).toEqual(["a | 1 | 1024"])
      expect(record.committed.get("empty")?.length).toBe(0)
    }))

  it.scoped("answers a windowed start with the granted window, a plain one without", () =>
    Effect.gen(function* () {
      const { peer } = yield* setup(withTransfer({ windowSize: 16 }))
      expect(yield* exchange(yield* peer(), "s | 0 | w.bin | 10 ")).toEqual(["a | 1 | 1024 | 16"])
      expect(yield* exchange(yield* peer(), "s | 0 | p.bin | 10")).toEqual(["a | 1 | 1024"])
    }))

  it.scoped("windowed: coalesces acks to every 16th datagram and sends the latest at the end of the burst", () =>
    Effect.gen(function* () {
      const { network, layer } = makeMemoryNetwork()
      const { sink, record } = memorySink(new Set(), true)
      const receiver = yield* makeReceiver({ host: "127.0.0.1", port: 7000, sink, config: window64 }).pipe(Effect.provide(layer))
      const client = yield* makePeer("127.0.0.1", { host: "127.0.0.1", port: receiver.port }).pipe(Effect.provide(layer))
      expect(yield* exchange(client, "s | 0 | w.bin | 20 ")).toEqual(["a | 1 | 1024 | 64"])
      // One burst: delivered and handled synchronously, before the event loop turns.
      for (let seqno = 1; seqno <= 19; seqno++) yield* client.send(`d | ${seqno} | x`)
      expect(yield* client.received).toEqual(["a | 17"])
      yield* letTurnEnd
      expect(yield* client.received).toEqual(["a | 20"])
      expect(yield* exchange(client, "d | 20 | y")).toEqual(["a | 21"])
      expect(record.committed.get("w.bin")?.toString()).toBe("x".repeat(19) + "y")
      expect(network.sent.filter((datagram) => datagram.to === `127.0.0.1:${client.port}`)).toHaveLength(4)
    }))

  it.scoped("windowed: data past a gap is answered at once with duplicate acks (the sender's fast retransmit)", () =>
    Effect.gen(function* () {
      const { layer } = makeMemoryNetwork()
      const { sink } = memorySink(new Set(), true)
      const receiver = yield* makeReceiver({ host: "127.0.0.1", port: 7000, sink, config: window64 }).pipe(Effect.provide(layer))
      const client = yield* makePeer("127.0.0.1", { host: "127.0.0.1", port: receiver.port }).pipe(Effect.provide(layer))
      expect(yield* exchange(client, "s | 0 | g.bin | 20 ")).toEqual(["a | 1 | 1024 | 64"])
      for (let seqno = 1; seqno <= 10; seqno++) yield* client.send(`d | ${seqno} | x`)
      // 11 is lost: 12, 13 and 14 each get "a | 11" at once, not at the end of the turn.
      for (const seqno of [12, 13, 14]) yield* client.send(`d | ${seqno} | x`)
      expect(yield* client.received).toEqual(["a | 11", "a | 11", "a | 11"])
    }))

  it.scoped("refuses bad names, oversize files and sessions over the limit, logging why", () =>
    Effect.gen(function* () {
      const { peer, receiver } = yield* setup(withTransfer({ maxSessions: 2, maxFileBytes: 1000 }))
      expect(yield* exchange(yield* peer(), "s | 0 | ../etc/passwd | 10")).toEqual([])
      expect(yield* exchange(yield* peer(), "s | 0 | big | 1001")).toEqual([])
      expect(yield* exchange(yield* peer(), "s | 0 | one | 10")).toHaveLength(1)
      expect(yield* exchange(yield* peer(), "s | 0 | two | 10")).toHaveLength(1)
      expect(yield* exchange(yield* peer(), "s | 0 | three | 10")).toEqual([])
      expect(yield* receiver.stats).toMatchObject({ refused: 3, sessionsOpened: 2 })
    }))

  it.scoped("counts and drops malformed input; a crashing session does not affect others", () =>
    Effect.gen(function* () {
      const { peer, record, receiver } = yield* setup(base, new Set(["boom"]))
      const attacker = yield* peer()
      for (const junk of ["", "garbage", "d | x | 1", "a | 1", "d | 1 | orphan", "s | 0 | x | 1 | 2", "d | 1 | " + "x".repeat(2000)]) {
        expect(yield* exchange(attacker, junk)).toEqual([])
      }
      const crasher = yield* peer()
      const good = yield* peer()
      yield* exchange(crasher, "s | 0 | boom | 3")
      yield* exchange(good, "s | 0 | fine | 3")
      expect(yield* exchange(crasher, "d | 1 | abc")).toEqual([])
      expect(yield* exchange(good, "d | 1 | abc")).toEqual(["a | 2"])
      expect(record.committed.get("fine")?.toString()).toBe("abc")
      expect(record.aborted).toEqual(["boom"])
      expect(yield* receiver.stats).toMatchObject({ malformed: 5, unexpected: 2, sessionDefects: 1, completed: 1 })
      expect(yield* receiver.sessionCount).toBe(1)
    }))

  it.scoped("a new start from a finished sender replaces its lingering session", () =>
    Effect.gen(function* () {
      const { peer, record } = yield* setup()
      const client = yield* peer()
      yield* exchange(client, "s | 0 | first | 1")
      yield* exchange(client, "d | 1 | a")
      expect(yield* exchange(client, "s | 0 | second | 1")).toEqual(["a | 1 | 1024"])
      expect(yield* exchange(client, "d | 1 | b")).toEqual(["a | 2"])
      expect([...record.committed.keys()]).toEqual(["first", "second"])
    }))

  it.scoped("bounds a session's backlog: datagrams beyond its inbox are dropped and counted", () =>
    Effect.gen(function* () {
      const inboxCapacity = 8
      const { peer, receiver } = yield* setup({ ...base, runtime: { ...base.runtime, mailboxCapacity: inboxCapacity } })
      const client = yield* peer()
      expect(yield* exchange(client, "s | 0 | busy.bin | 100")).toEqual(["a | 1 | 1024"])
      // Delivery is synchronous and the session fiber cannot run meanwhile: its inbox fills up.
      for (let sent = 0; sent < inboxCapacity + 5; sent++) yield* client.send("d | 1 | a")
      yield* settle
      expect(yield* receiver.stats).toMatchObject({ droppedSessionBusy: 5 })
      yield* client.received
      expect(yield* exchange(client, "d | 2 | b")).toEqual(["a | 3"])
    }))
})
