/**
 * A port number free on every given loopback address, for both TCP and UDP (a node serves
 * HTTP and peers on TCP and file transfer on UDP, all on the same number). Another process may
 * still take it before the nodes bind it; the caller retries the whole start on that.
 */
import * as dgram from "node:dgram"
import * as net from "node:net"
import { Data, Effect } from "effect"

export class NoFreePort extends Data.TaggedError("NoFreePort")<{ readonly tries: number }> {
  override get message(): string {
    return `no port free on every node address after ${this.tries} tries`
  }
}

const tcpFree = (host: string, port: number) =>
  Effect.async<boolean>((resume) => {
    const server = net.createServer()
    server.once("error", () => resume(Effect.succeed(false)))
    server.listen({ host, port, exclusive: true }, () => server.close(() => resume(Effect.succeed(true))))
  })

const udpFree = (host: string, port: number) =>
  Effect.async<boolean>((resume) => {
    const socket = dgram.createSocket("udp4")
    socket.once("error", () => {
      socket.close()
      resume(Effect.succeed(false))
    })
    socket.bind({ address: host, port, exclusive: true }, () => socket.close(() => resume(Effect.succeed(true))))
  })

const lowestPort = 20_000
const highestPort = 60_000

export const pickFreePort = (hosts: ReadonlyArray<string>, maxTries = 50): Effect.Effect<number, NoFreePort> =>
  Effect.gen(function*() {
    for (let attempt = 0; attempt < maxTries; attempt++) {
      const port = lowestPort + Math.floor(Math.random() * (highestPort - lowestPort))
      const free = yield* Effect.forEach(hosts, (host) =>
        Effect.zipWith(tcpFree(host, port), udpFree(host, port), (tcp, udp) => tcp && udp))
      if (free.every(Boolean)) return port
    }
    return yield* new NoFreePort({ tries: maxTries })
  })
