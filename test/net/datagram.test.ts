import { describe, expect, it } from "@effect/vitest"
import { Effect, Exit, Queue } from "effect"
import { Datagram, DatagramLive, literalFirstLookup, makeMemoryNetwork, maxDatagramBytes, type Incoming } from "../../src/net/datagram.js"

const bindOn = (capacity: number, port = 0, connectTo?: number) =>
  Effect.gen(function* () {
    const mailbox = yield* Queue.dropping<Incoming>(capacity)
    const connect = connectTo === undefined ? {} : { connect: { host: "127.0.0.1", port: connectTo } }
    const socket = yield* (yield* Datagram).bind({ host: "127.0.0.1", port, deliver: (incoming) => mailbox.unsafeOffer(incoming), ...connect })
    return { socket, mailbox }
  })

/** A connected socket talks to its peer only, on either layer. */
const connectedSocketContract = Effect.gen(function* () {
  const peer = yield* bindOn(8)
  const stranger = yield* bindOn(8)
  const connected = yield* bindOn(8, 0, peer.socket.port)
  yield* connected.socket.send(Buffer.from("hello"), "127.0.0.1", peer.socket.port)
  expect(Buffer.from((yield* Queue.take(peer.mailbox)).bytes).toString()).toBe("hello")
  expect(Exit.isFailure(yield* Effect.exit(connected.socket.send(Buffer.from("x"), "127.0.0.1", stranger.socket.port)))).toBe(true)
  yield* stranger.socket.send(Buffer.from("intruder"), "127.0.0.1", connected.socket.port)
  yield* peer.socket.send(Buffer.from("answer"), "127.0.0.1", connected.socket.port)
  expect(Buffer.from((yield* Queue.take(connected.mailbox)).bytes).toString()).toBe("answer")
  expect(yield* Queue.size(connected.mailbox)).toBe(0)
})

describe("Datagram live (real loopback UDP)", () => {
  it.scoped("delivers datagrams with their sender, and releases the port with the scope", () =>
    Effect.gen(function* () {
      const a = yield* bindOn(16)
      const b = yield* bindOn(16)
      yield* a.socket.send(Buffer.from("ping | \x00 bytes"), "127.0.0.1", b.socket.port)
      const got = yield* Queue.take(b.mailbox)
      expect(Buffer.from(got.bytes).toString("latin1")).toBe("ping | \x00 bytes")
      expect(got).toMatchObject({ host: "127.0.0.1", port: a.socket.port })
      expect(yield* b.socket.stats).toMatchObject({ receivedDatagrams: 1, receivedBytes: 14 })
      const released = yield* Effect.scoped(Effect.map(bindOn(1), ({ socket }) => socket.port))
      const rebound = yield* Effect.exit(Effect.scoped(bindOn(1, released)))
      expect(Exit.isSuccess(rebound)).toBe(true)
    }).pipe(Effect.provide(DatagramLive)))

  it.scoped("drops and counts when the mailbox is full; refuses oversize datagrams", () =>
    Effect.gen(function* () {
      const sender = yield* bindOn(1)
      const receiver = yield* bindOn(2)
      for (let index = 0; index < 5; index++) yield* sender.socket.send(Buffer.from([index]), "127.0.0.1", receiver.socket.port)
      for (let waited = 0; waited < 200; waited++) {
        const stats = yield* receiver.socket.stats
        if (stats.receivedDatagrams === 5) break
        yield* Effect.promise(() => new Promise<void>((resolve) => setImmediate(resolve)))
      }
      expect(yield* receiver.socket.stats).toMatchObject({ receivedDatagrams: 5, droppedMailboxFull: 3 })
      expect(yield* Queue.size(receiver.mailbox)).toBe(2)
      const tooBig = yield* Effect.exit(sender.socket.send(Buffer.alloc(maxDatagramBytes + 1), "127.0.0.1", receiver.socket.port))
      expect(Exit.isFailure(tooBig)).toBe(true)
    }).pipe(Effect.provide(DatagramLive)))

  it.scoped("a connected socket sends to its peer only and hears nobody else", () => connectedSocketContract.pipe(Effect.provide(DatagramLive)))

  it.scoped("a port in use is a typed bind error", () =>
    Effect.gen(function* () {
      const first = yield* bindOn(1)
      const second = yield* Effect.either(bindOn(1, first.socket.port))
      expect(second._tag === "Left" && second.left._tag).toBe("DatagramError")
    }).pipe(Effect.provide(DatagramLive)))
})

describe("Datagram memory network", () => {
  it.scoped("a connected socket sends to its peer only and hears nobody else", () => connectedSocketContract.pipe(Effect.provide(makeMemoryNetwork().layer)))

  it.scoped("delivers synchronously, records traffic and applies faults", () => {
    const { network, layer } = makeMemoryNetwork()
    return Effect.gen(function* () {
      const a = yield* bindOn(8)
      const b = yield* bindOn(8)
      network.fault = (_from, _to, bytes) => (bytes[0] === 1 ? "drop" : bytes[0] === 2 ? "duplicate" : "deliver")
      for (const first of [0, 1, 2]) yield* a.socket.send(Buffer.from([first]), "127.0.0.1", b.socket.port)
      const got = Array.from(yield* Queue.takeAll(b.mailbox), (incoming) => incoming.bytes[0])
      expect(got).toEqual([0, 2, 2])
      expect(network.sent).toHaveLength(3)
      expect(Exit.isFailure(yield* Effect.exit(Effect.scoped(bindOn(1, b.socket.port))))).toBe(true)
    }).pipe(Effect.provide(layer))
  })
})

describe("literalFirstLookup", () => {
  it("answers an IP literal synchronously, as dns.lookup would on the next tick", () => {
    const answers: Array<[string, number]> = []
    literalFirstLookup("127.0.0.2", 4, (error, address, family) => {
      expect(error).toBeNull()
      answers.push([address, family])
    })
    literalFirstLookup("::1", 6, (_error, address, family) => answers.push([address, family]))
    expect(answers).toEqual([["127.0.0.2", 4], ["::1", 6]])
  })

  it("still resolves names through dns.lookup", async () => {
    const answer = await new Promise<[string, number]>((resolve, reject) =>
      literalFirstLookup("localhost", 4, (error, address, family) => (error === null ? resolve([address, family]) : reject(error))))
    expect(answer).toEqual(["127.0.0.1", 4])
  })

  it.scoped("an unconnected live socket sends to a name and to a literal", () =>
    Effect.gen(function* () {
      const a = yield* bindOn(4)
      const b = yield* bindOn(4)
      yield* a.socket.send(Buffer.from("by name"), "localhost", b.socket.port)
      yield* a.socket.send(Buffer.from("by literal"), "127.0.0.1", b.socket.port)
      const got = [yield* Queue.take(b.mailbox), yield* Queue.take(b.mailbox)].map((incoming) => Buffer.from(incoming.bytes).toString())
      expect(got.sort()).toEqual(["by literal", "by name"])
    }).pipe(Effect.provide(DatagramLive)))
})
