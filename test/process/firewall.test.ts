/**
 * Real iptables partitions between loopback addresses: a cut stops connections between the two
 * addresses only, a heal lets them through, and closing the scope removes the chain. Skips
 * (saying why) where iptables is missing or not permitted.
 */
import { describe, expect, it } from "@effect/vitest"
import * as childProcess from "node:child_process"
import * as net from "node:net"
import { Effect, Exit, Scope } from "effect"
import { setUpFirewall } from "../../src/nemesis/firewall.js"

const subnet = `127.0.${200 + Math.floor(Math.random() * 50)}`
const [a, b, c] = [`${subnet}.1`, `${subnet}.2`, `${subnet}.3`]

const connects = (from: string, to: string, port: number) =>
  new Promise<boolean>((resolve) => {
    const socket = net.connect({ host: to, port, localAddress: from })
    const done = (ok: boolean) => {
      socket.destroy()
      resolve(ok)
    }
    socket.setTimeout(300, () => done(false))
    socket.once("connect", () => done(true))
    socket.once("error", () => done(false))
  })

const chains = () => {
  try {
    return childProcess.execFileSync("iptables", ["-w", "-S"], { encoding: "utf8" })
  } catch {
    return ""
  }
}

describe("iptables partitions", () => {
  it.live("cut, heal and clean up, or say why not", () =>
    Effect.gen(function*() {
      const scope = yield* Scope.make()
      yield* exercise(scope).pipe(Effect.ensuring(Scope.close(scope, Exit.void)))
      expect(chains()).not.toContain(`TROUPE_NEM_${process.pid}`)
    }), 60_000)
})

const exercise = (scope: Scope.Scope) =>
  Effect.gen(function*() {
    const setup = yield* Scope.extend(setUpFirewall({ probeHost: a, installIfMissing: false }), scope)
    if (setup._tag === "unavailable") {
      console.warn(`skipped: partitions are not possible here: ${setup.reason}`)
      expect(setup.reason.length).toBeGreaterThan(0)
      return
    }
    const server = net.createServer((socket) => socket.destroy())
    const port = yield* Effect.async<number>((resume) => {
      server.listen(0, b, () => resume(Effect.succeed((server.address() as net.AddressInfo).port)))
    })
    try {
      expect(yield* Effect.promise(() => connects(a, b, port))).toBe(true)
      yield* setup.firewall.isolate(b, [a])
      expect(yield* Effect.promise(() => connects(a, b, port))).toBe(false)
      expect(yield* Effect.promise(() => connects(c, b, port))).toBe(true) // only a<->b is cut
      yield* setup.firewall.heal
      expect(yield* Effect.promise(() => connects(a, b, port))).toBe(true)
      yield* setup.firewall.isolate(b, [a]) // left in place: closing the scope must remove it
      expect(chains()).toContain(`TROUPE_NEM_${process.pid}`)
    } finally {
      server.close()
    }
  })
