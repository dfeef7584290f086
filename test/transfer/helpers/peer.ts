/** A hand-driven UDP peer for tests: sends raw datagrams, collects what comes back as text. */
import { Effect, Queue } from "effect"
import { Datagram, type Incoming } from "../../../src/net/datagram.js"

export const makePeer = (host: string, to: { readonly host: string; readonly port: number }) =>
  Effect.gen(function* () {
    const mailbox = yield* Queue.bounded<Incoming>(4096)
    const socket = yield* (yield* Datagram).bind({ host, port: 0, deliver: (incoming) => mailbox.unsafeOffer(incoming) })
    return {
      port: socket.port,
      send: (datagram: string | Uint8Array) => socket.send(typeof datagram === "string" ? Buffer.from(datagram, "latin1") : datagram, to.host, to.port),
      /** Everything received since the last call, as latin1 text. */
      received: Effect.map(Queue.takeAll(mailbox), (chunk) => Array.from(chunk, (incoming) => Buffer.from(incoming.bytes).toString("latin1")))
    }
  })

/** Lets forked fibers run until they block again (no time passes). */
export const settle = Effect.forEach(Array.from({ length: 20 }), () => Effect.yieldNow(), { discard: true })
