/**
 * Real network partitions between loopback addresses with iptables: every rule lives in one
 * chain of this process (TROUPE_NEM_<pid>), jumped to from OUTPUT (loopback packets all pass
 * OUTPUT), so healing is one flush and cleanup removes the chain whatever happened. Before a
 * run, a probe proves the rules really drop packets; when iptables is missing or not permitted,
 * the caller is told why and partitions are skipped, never faked.
 */
import * as childProcess from "node:child_process"
import * as net from "node:net"
import { Effect, Either, type Scope } from "effect"
import { pickFreePort } from "../process/free-port.js"

const chainPrefix = "TROUPE_NEM_"
const commandTimeoutMs = 10_000
const installTimeoutMs = 180_000
const probeConnectTimeoutMs = 300

const run = (command: string, args: ReadonlyArray<string>, timeoutMs = commandTimeoutMs) =>
  Effect.async<string, string>((resume) => {
    childProcess.execFile(command, [...args], { timeout: timeoutMs, maxBuffer: 1 << 20 }, (error, stdout, stderr) => {
      if (error === null) return resume(Effect.succeed(stdout))
      const code = (error as NodeJS.ErrnoException).code
      const reason = code === "ENOENT" ? `${command} is not installed` : `${[command, ...args].join(" ")}: ${(stderr || error.message).trim()}`
      resume(Effect.fail(reason))
    })
  })

const iptables = (...args: ReadonlyArray<string>) => run("iptables", ["-w", ...args])

export interface Firewall {
  /** Drops every packet between `host` and each of `others`, both ways. */
  readonly isolate: (host: string, others: ReadonlyArray<string>) => Effect.Effect<void, string>
  readonly heal: Effect.Effect<void, string>
}

export type FirewallSetup =
  | { readonly _tag: "ready"; readonly firewall: Firewall; readonly note: string }
  | { readonly _tag: "unavailable"; readonly reason: string }

const isRoot = () => typeof process.getuid === "function" && process.getuid() === 0

/** Makes sure the iptables command exists, installing Debian's package when root may. */
const ensureIptables = (installIfMissing: boolean) =>
  Effect.gen(function*() {
    const present = yield* Effect.either(iptables("-V"))
    if (Either.isRight(present)) return present.right.trim()
    if (!present.left.includes("not installed") || !installIfMissing || !isRoot()) return yield* Effect.fail(present.left)
    // A fresh machine has no package lists yet; without them the install finds nothing.
    yield* run("apt-get", ["update", "-qq"], installTimeoutMs).pipe(
      Effect.zipRight(run("apt-get", ["install", "-y", "-qq", "iptables"], installTimeoutMs)),
      Effect.mapError((reason) => `iptables is missing and installing it failed: ${reason.slice(0, 300)}`)
    )
    return (yield* iptables("-V")).trim()
  })

const pidAlive = (pid: number) => {
  try {
    process.kill(pid, 0)
    return true
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === "EPERM"
  }
}

/** Chains left by a nemesis that was SIGKILLed: their rules would partition a later run. */
const removeStaleChains = Effect.gen(function*() {
  const rules = yield* iptables("-S")
  const stale = [...rules.matchAll(new RegExp(`^-N (${chainPrefix}(\\d+))$`, "gm"))]
    .filter((match) => !pidAlive(Number(match[2])))
    .map((match) => match[1]!)
  for (const chain of stale) yield* removeChain(chain)
})

const removeChain = (chain: string) =>
  Effect.gen(function*() {
    // -D fails once no jump is left; bounded by the number of jumps anyone could have added.
    for (let i = 0; i < 100; i++) if (Either.isLeft(yield* Effect.either(iptables("-D", "OUTPUT", "-j", chain)))) break
    yield* Effect.ignore(iptables("-F", chain))
    yield* Effect.ignore(iptables("-X", chain))
  })

const connects = (host: string, port: number) =>
  Effect.async<boolean>((resume) => {
    const socket = net.connect({ host, port })
    const done = (ok: boolean) => {
      socket.destroy()
      resume(Effect.succeed(ok))
    }
    socket.setTimeout(probeConnectTimeoutMs, () => done(false))
    socket.once("connect", () => done(true))
    socket.once("error", () => done(false))
  })

/** A DROP rule on a listening probe port must stop connections, and the flush must let them in. */
const probe = (chain: string, host: string) =>
  Effect.acquireUseRelease(
    Effect.gen(function*() {
      const port = yield* Effect.mapError(pickFreePort([host]), (error) => error.message)
      const server = net.createServer((socket) => socket.destroy())
      yield* Effect.async<void>((resume) => {
        server.listen(port, host, () => resume(Effect.void))
      })
      return { server, port }
    }),
    ({ port }) =>
      Effect.gen(function*() {
        yield* iptables("-A", chain, "-d", host, "-p", "tcp", "--dport", String(port), "-j", "DROP")
        const blocked = !(yield* connects(host, port))
        yield* iptables("-F", chain)
        const open = yield* connects(host, port)
        if (!blocked) return yield* Effect.fail("a probe DROP rule did not stop a loopback connection")
        if (!open) return yield* Effect.fail("the probe port stayed closed after the rule was removed")
      }),
    ({ server }) => Effect.sync(() => server.close())
  )

const makeFirewall = (chain: string): Firewall => ({
  isolate: (host, others) =>
    Effect.forEach(others, (other) =>
      Effect.zipRight(
        iptables("-A", chain, "-s", host, "-d", other, "-j", "DROP"),
        iptables("-A", chain, "-s", other, "-d", host, "-j", "DROP")
      ), { discard: true }),
  heal: Effect.asVoid(iptables("-F", chain))
})

/**
 * Sets up this process's chain (removed when the scope closes, also on failure or Ctrl+C) and
 * proves it works on `probeHost`; otherwise says why partitions cannot run here.
 */
export const setUpFirewall = (options: { readonly probeHost: string; readonly installIfMissing: boolean }): Effect.Effect<FirewallSetup, never, Scope.Scope> =>
  Effect.gen(function*() {
    const version = yield* ensureIptables(options.installIfMissing)
    yield* removeStaleChains
    const chain = `${chainPrefix}${process.pid}`
    yield* Effect.acquireRelease(iptables("-N", chain), () => removeChain(chain))
    yield* iptables("-I", "OUTPUT", "1", "-j", chain)
    yield* probe(chain, options.probeHost)
    return { _tag: "ready", firewall: makeFirewall(chain), note: `${version}, chain ${chain}` } as FirewallSetup
  }).pipe(Effect.catchAll((reason) => Effect.succeed({ _tag: "unavailable", reason } as FirewallSetup)))
