/**
 * The sender shell on the in-memory network under TestClock: 5 tries 0.5 s apart, then
 * "receiver not responding"; stale acks are not progress; a lossy transfer completes.
 */
import * as fs from "node:fs"
import * as path from "node:path"
import { describe, expect, it } from "@effect/vitest"
import { tempDirMaker } from "../support/temp-dir.js"
import { Effect, Either, Fiber, Queue, TestClock } from "effect"
import { defaultConfig } from "../../src/config/load.js"
import { Datagram, makeMemoryNetwork, type Incoming } from "../../src/net/datagram.js"
import { makeReceiver } from "../../src/transfer/receiver.js"
import { sendFile } from "../../src/transfer/sender.js"
import { memorySink } from "./helpers/memory-sink.js"
import { settle } from "./helpers/peer.js"

const config = defaultConfig()
const tempDir = tempDirMaker("troupe-sender-")
const tempFile = (bytes: Buffer) => {
  const dir = tempDir()
  const file = path.join(dir, "input.bin")
  fs.writeFileSync(file, bytes)
  return file
}
/** Lets real file I/O of the sender complete; no test time passes. */
const letIoRun = Effect.forEach(Array.from({ length: 5 }), () => Effect.promise(() => new Promise<void>((resolve) => setImmediate(resolve))), { discard: true })

describe("sender (TestClock)", () => {
  it.scoped("tries a message 5 times 0.5 s apart, then fails with receiver not responding", () =>
    Effect.gen(function* () {
      const { network, layer } = makeMemoryNetwork()
      const localPath = tempFile(Buffer.from("some bytes"))
      const fiber = yield* Effect.fork(Effect.either(sendFile({ host: "127.0.0.1", port: 9, localPath, remoteName: "x", config }).pipe(Effect.provide(layer))))
      // Opening the file is real I/O: on a busy machine it can take more than one round of
      // `letIoRun`. Test time stays at 0 until the first start is out.
      for (let round = 0; round < 200 && network.sent.length === 0; round++) {
        yield* letIoRun
        yield* settle
      }
      const sendTimesMs: Array<number> = []
      let finishedAtMs: number | undefined
      for (let nowMs = 0; nowMs <= 3000 && finishedAtMs === undefined; nowMs += 100) {
        if (nowMs > 0) yield* TestClock.adjust("100 millis")
        yield* letIoRun
        yield* settle
        while (sendTimesMs.length < network.sent.length) sendTimesMs.push(nowMs)
        if (fiber.unsafePoll() !== null) finishedAtMs = nowMs
      }
      expect(sendTimesMs).toEqual([0, 500, 1000, 1500, 2000])
      expect(finishedAtMs).toBe(2500)
      const result = yield* Fiber.join(fiber)
      expect(Either.isLeft(result) && result.left.message).toBe("receiver not responding")
      expect(network.sent.every((datagram) => Buffer.from(datagram.bytes).toString() === "s | 0 | x | 10")).toBe(true)
    }))

  it.scoped("does not take stale or foreign acks as progress", () =>
    Effect.gen(function* () {
      const { layer } = makeMemoryNetwork()
      const localPath = tempFile(Buffer.from("some bytes"))
      // A confused receiver: answers every start with acks for other messages.
      const mailbox = yield* Queue.bounded<Incoming>(64)
      const socket = yield* Effect.provide(Effect.flatMap(Datagram, (datagram) => datagram.bind({ host: "127.0.0.1", port: 7001, deliver: (incoming) => mailbox.unsafeOffer(incoming) })), layer)
      yield* Effect.forkScoped(
        Effect.forever(
          Effect.flatMap(Queue.take(mailbox), (incoming) =>
            Effect.forEach(["a | 7 | 1024", "a | 1", "a | 0 | 1024", "junk"], (text) => socket.send(Buffer.from(text), incoming.host, incoming.port))
          )
        )
      )
      const fiber = yield* Effect.fork(Effect.either(sendFile({ host: "127.0.0.1", port: 7001, localPath, remoteName: "x", config }).pipe(Effect.provide(layer))))
      for (let step = 0; step < 40 && fiber.unsafePoll() === null; step++) {
        yield* letIoRun
        yield* settle
        yield* TestClock.adjust("100 millis")
      }
      const result = yield* Fiber.join(fiber)
      expect(Either.isLeft(result) && result.left.message).toBe("receiver not responding")
    }))

  it.scoped("completes in order when the network delivers inside a send (socket callbacks re-entered)", () =>
    Effect.gen(function* () {
      for (const windowed of [false, true]) {
        // The memory network delivers synchronously, and a buffered sink lets the receiver ack
        // inside the callback: an ack reaches the sender while it is still sending.
        const { layer } = makeMemoryNetwork()
        const { sink, record } = memorySink(new Set(), true)
        const receiver = yield* makeReceiver({ host: "127.0.0.1", port: 7004, sink, config }).pipe(Effect.provide(layer))
        const content = Buffer.from(Array.from({ length: 300_000 }, (_, index) => (index * 11 + (index >> 9)) & 255))
        const localPath = tempFile(content)
        const fiber = yield* Effect.fork(Effect.either(sendFile({ host: "127.0.0.1", port: receiver.port, localPath, remoteName: "sync.bin", config, windowed }).pipe(Effect.provide(layer))))
        for (let step = 0; step < 400 && fiber.unsafePoll() === null; step++) {
          yield* letIoRun
          yield* settle
          if (step % 20 === 19) yield* TestClock.adjust("100 millis")
        }
        const result = yield* Fiber.join(fiber)
        expect(Either.isRight(result) && result.right.retransmissions).toBe(0)
        expect(record.committed.get("sync.bin")?.equals(content)).toBe(true)
      }
    }))

  it.scoped("completes byte-exact through a lossy in-memory network, in both modes", () =>
    Effect.gen(function* () {
      for (const windowed of [false, true]) {
        const { network, layer } = makeMemoryNetwork()
        let seed = windowed ? 7 : 3
        const random = () => ((seed = (Math.imul(seed, 1664525) + 1013904223) >>> 0) / 2 ** 32)
        network.fault = () => {
          const roll = random()
          return roll < 0.1 ? "drop" : roll < 0.15 ? "duplicate" : "deliver"
        }
        const { sink, record } = memorySink()
        const receiver = yield* makeReceiver({ host: "127.0.0.1", port: 7002, sink, config }).pipe(Effect.provide(layer))
        const content = Buffer.from(Array.from({ length: 50_000 }, (_, index) => (index * 13) & 255))
        const localPath = tempFile(content)
        const sent = sendFile({ host: "127.0.0.1", port: receiver.port, localPath, remoteName: "lossy.bin", config: { ...config, transfer: { ...config.transfer, triesPerMessage: 20 } }, windowed })
        const fiber = yield* Effect.fork(Effect.either(sent.pipe(Effect.provide(layer))))
        for (let step = 0; step < 2000 && fiber.unsafePoll() === null; step++) {
          yield* letIoRun
          yield* settle
          if (fiber.unsafePoll() === null) yield* TestClock.adjust("100 millis")
        }
        const result = yield* Fiber.join(fiber)
        expect(Either.isRight(result) && result.right.window).toBe(windowed ? config.transfer.windowSize : 1)
        expect(record.committed.get("lossy.bin")?.equals(content)).toBe(true)
      }
    }))
})
