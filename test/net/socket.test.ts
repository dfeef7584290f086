import * as net from "node:net"
import { describe, expect, it } from "@effect/vitest"
import { Deferred, Effect } from "effect"
import { connectSocket } from "../../src/net/socket.js"

describe("connectSocket", () => {
  it.scopedLive("binds before connecting: the peer sees this node's own loopback address", () =>
    Effect.gen(function*() {
      const seen = yield* Deferred.make<string | undefined>()
      const server = net.createServer((socket) => {
        Deferred.unsafeDone(seen, Effect.succeed(socket.remoteAddress))
        socket.destroy()
      })
      yield* Effect.acquireRelease(
        Effect.async<void>((resume) => void server.listen({ host: "127.0.0.2", port: 0 }, () => resume(Effect.void))),
        () => Effect.sync(() => server.close())
      )
      const port = (server.address() as net.AddressInfo).port
      yield* connectSocket({ host: "127.0.0.2", port, localAddress: "127.0.0.3" }, "1 second")
      expect(yield* Deferred.await(seen).pipe(Effect.timeout("2 seconds"))).toBe("127.0.0.3")
    }))

  it.scopedLive("fails with a typed ConnectError when nobody listens", () =>
    Effect.gen(function*() {
      const error = yield* Effect.flip(connectSocket({ host: "127.0.0.2", port: 1, localAddress: "127.0.0.2" }, "1 second"))
      expect(error._tag).toBe("ConnectError")
      expect(error.message).toContain("127.0.0.2:1")
    }))
})
