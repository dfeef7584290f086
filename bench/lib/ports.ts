/**
 * Finds one port number free for both TCP and UDP on every given loopback host: a troupe node
 * uses the same number for HTTP/peers (TCP) and file transfer (UDP), and the bench runs every
 * node on its own 127.0.0.x with the same port.
 */
import * as dgram from "node:dgram"
import * as net from "node:net"
import { Effect } from "effect"
import { BenchError } from "./errors.js"

const MAX_TRIES = 50

const tcpFree = (host: string, port: number): Promise<number | undefined> =>
  new Promise((resolve) => {
    const server = net.createServer()
    server.once("error", () => resolve(undefined))
    server.listen({ host, port, exclusive: true }, () => {
      const bound = (server.address() as net.AddressInfo).port
      server.close(() => resolve(bound))
    })
  })

const udpFree = (host: string, port: number): Promise<boolean> =>
  new Promise((resolve) => {
    const socket = dgram.createSocket("udp4")
    socket.once("error", () => {
      socket.close()
      resolve(false)
    })
    socket.bind({ address: host, port, exclusive: true }, () => socket.close(() => resolve(true)))
  })

const tryOnce = async (hosts: ReadonlyArray<string>): Promise<number | undefined> => {
  const port = await tcpFree(hosts[0]!, 0)
  if (port === undefined) return undefined
  for (const host of hosts) {
    if ((await tcpFree(host, port)) === undefined || !(await udpFree(host, port))) return undefined
  }
  return port
}

export const findFreePort = (hosts: ReadonlyArray<string>): Effect.Effect<number, BenchError> =>
  Effect.promise(async () => {
    for (let attempt = 0; attempt < MAX_TRIES; attempt++) {
      const port = await tryOnce(hosts)
      if (port !== undefined) return port
    }
    return undefined
  }).pipe(
    Effect.flatMap((port) =>
      port === undefined
        ? Effect.fail(new BenchError({ reason: `no port free on all of ${hosts.join(", ")} after ${MAX_TRIES} tries` }))
        : Effect.succeed(port)
    )
  )
