import { afterAll, afterEach, beforeAll, describe, expect, it } from "@effect/vitest"
import * as fs from "node:fs"
import * as http from "node:http"
import * as path from "node:path"
import { fileURLToPath } from "node:url"
import { Command } from "@effect/cli"
import { HttpRouter, HttpServer } from "@effect/platform"
import { NodeContext, NodeHttpServer } from "@effect/platform-node"
import { RpcSerialization, RpcServer } from "@effect/rpc"
import { Effect, Layer } from "effect"
import { callCommand } from "../../src/cli/call-command.js"
import { rewriteHostsFlag } from "../../src/cli/resolve-nodes.js"
import { defaultConfig } from "../../src/config/load.js"
import { ComputeHandlersLive, ComputeRpcs } from "../../src/compute/rpc.js"
import { Compute, makeCompute } from "../../src/compute/service.js"
import { bundleWorkerEntry } from "./helpers.js"

let workerEntry: URL
beforeAll(async () => {
  workerEntry = await bundleWorkerEntry(new URL("../../src/compute/worker.ts", import.meta.url))
}, 60_000)
afterAll(() => fs.rmSync(path.dirname(fileURLToPath(workerEntry)), { recursive: true, force: true }))
afterEach(() => {
  process.exitCode = 0
})

const serveCompute = () =>
  HttpRouter.Default.serve().pipe(
    Layer.provide(RpcServer.layer(ComputeRpcs)),
    Layer.provide(ComputeHandlersLive),
    Layer.provide(Layer.scoped(Compute, makeCompute({ config: defaultConfig(), entry: workerEntry }))),
    Layer.provide(RpcServer.layerProtocolHttp({ path: "/rpc" })),
    Layer.provide(RpcSerialization.layerNdjson),
    Layer.provideMerge(NodeHttpServer.layer(() => http.createServer(), { port: 0, host: "127.0.0.1" }))
  )

const troupe = Command.run(Command.make("troupe").pipe(Command.withSubcommands([callCommand])), { name: "troupe", version: "test" })

/** Runs `troupe ARGS...` in-process, capturing what it prints and the exit code it sets. */
const runCli = (args: ReadonlyArray<string>) =>
  Effect.gen(function* () {
    const stdout: Array<string> = []
    const stderr: Array<string> = []
    const base = yield* Effect.console
    process.exitCode = 0
    yield* troupe(["node", "troupe", ...rewriteHostsFlag(args)]).pipe(
      Effect.withConsole({
        ...base,
        log: (...parts: ReadonlyArray<unknown>) => Effect.sync(() => stdout.push(parts.join(" "))),
        error: (...parts: ReadonlyArray<unknown>) => Effect.sync(() => stderr.push(parts.join(" ")))
      }),
      Effect.provide(NodeContext.layer)
    )
    return { stdout: stdout.join("\n"), stderr: stderr.join("\n"), exitCode: process.exitCode ?? 0 }
  })

const hostPortOf = HttpServer.addressWith((address) => Effect.succeed(address._tag === "TcpAddress" ? `127.0.0.1:${address.port}` : ""))

describe("troupe call", () => {
  it("rewrites -h HOSTS but leaves -h for help alone", () => {
    expect(rewriteHostsFlag(["call", "-h", "a:1,b:2", "gcd", "1", "2"])).toEqual(["call", "--hosts", "a:1,b:2", "gcd", "1", "2"])
    expect(rewriteHostsFlag(["call", "-h"])).toEqual(["call", "-h"])
  })

  it.live("prints the lab outputs and ERROR with a non-zero exit", () =>
    Effect.gen(function* () {
      const node = yield* hostPortOf
      // The first node is down: the CLI fails over to the second, as troupe-client does.
      const hosts = `127.0.0.1:1,${node}`
      const isprime = yield* runCli(["call", "isprime", "-h", hosts, "2", "10", "5555", "14567"])
      expect(isprime).toEqual({ stdout: "2 is prime\n10 is not prime\n5555 is not prime\n14567 is not prime", stderr: "", exitCode: 0 })
      expect((yield* runCli(["call", "gcd", "-h", hosts, "12", "18"])).stdout).toBe("gcd for 12 18 is 6")
      expect((yield* runCli(["call", "reverse", "-h", hosts, "hello world"])).stdout).toBe("dlrow olleh")
      expect((yield* runCli(["call", "split", "-h", hosts, "a b c"])).stdout).toBe("3\na\nb\nc")
      const bad = yield* runCli(["call", "gcd", "-h", hosts, "12", "x"])
      expect(bad.stdout).toBe("ERROR: \"x\" is not an integer")
      expect(bad.exitCode).toBe(1)
      const unreachable = yield* runCli(["call", "gcd", "-h", "127.0.0.1:1", "1", "2"])
      expect(unreachable.stdout).toMatch(/^ERROR: no node could serve the call/)
      expect(unreachable.exitCode).toBe(1)
    }).pipe(Effect.provide(serveCompute())), 60_000)
})
