/**
 * `troupe nemesis [--duration S] [--faults kill,pause,partition] [--nodes N] [--out DIR]`
 * (npm run nemesis): real node processes on loopback, concurrent clients, scheduled faults,
 * then the linearizability check and a report. Exit 0 only for `linearizable: yes`.
 */
import { Command, Options } from "@effect/cli"
import * as path from "node:path"
import { Console, Effect, Either, Option } from "effect"
import { loadConfig } from "../config/load.js"
import { UsageError } from "./exit.js"

const duration = Options.integer("duration").pipe(Options.withDescription("seconds of workload"), Options.withDefault(60))
const faults = Options.text("faults").pipe(
  Options.withDescription("comma-separated: kill, pause, partition"),
  Options.withDefault("kill,pause,partition")
)
const nodes = Options.integer("nodes").pipe(Options.withDescription("how many node processes"), Options.withDefault(3))
const out = Options.text("out").pipe(Options.withDescription("output folder (default nemesis-out/<timestamp>)"), Options.optional)
const seed = Options.integer("seed").pipe(Options.withDescription("seed of the fault schedule and the workload"), Options.optional)
const clients = Options.integer("clients").pipe(Options.withDescription("raw-HTTP clients"), Options.withDefault(4))
const cliClients = Options.integer("cli-clients").pipe(
  Options.withDescription("clients running one troupe-client process per operation"),
  Options.withDefault(1)
)
const noInstall = Options.boolean("no-install").pipe(Options.withDescription("never apt-get install iptables"))

/**
 * Ctrl+C: the scope has already stopped the nodes and removed the iptables rules. No history was
 * checked, so the run must not look like a pass: runMain ends a signalled program with
 * process.exit(0), and an exit listener is the one place that can still set the code.
 */
const interrupted = Effect.zipRight(
  Console.log("nemesis: interrupted; nodes stopped, partitions healed, nothing checked\nlinearizable: unknown"),
  Effect.sync(() => {
    process.once("exit", () => {
      process.exitCode = 130
    })
  })
)

export const nemesisCommand = Command.make(
  "nemesis",
  { duration, faults, nodes, out, seed, clients, cliClients, noInstall },
  (args) =>
    Effect.gen(function*() {
      const { defaultSettings, parseFaultKinds, settingsProblem } = yield* Effect.promise(() => import("../nemesis/settings.js"))
      const { runNemesis } = yield* Effect.promise(() => import("../nemesis/run.js"))
      const config = yield* Either.match(loadConfig({ env: process.env }), {
        onLeft: (error) => Effect.fail(new UsageError({ reason: error.message })),
        onRight: Effect.succeed
      })
      const kinds = parseFaultKinds(args.faults)
      if (typeof kinds === "string") return yield* new UsageError({ reason: kinds })
      const settings = defaultSettings({
        durationMs: args.duration * 1000,
        nodes: args.nodes,
        faults: kinds,
        httpClients: args.clients,
        cliClients: args.cliClients,
        ...Option.match(args.seed, { onNone: () => ({}), onSome: (value) => ({ seed: value >>> 0 }) })
      })
      const problem = settingsProblem(settings)
      if (problem !== undefined) return yield* new UsageError({ reason: problem })
      const outDir = Option.getOrElse(args.out, () => path.join("nemesis-out", new Date().toISOString().replace(/[:.]/g, "-")))
      const outcome = yield* Effect.scoped(runNemesis({
        settings,
        config,
        binDir: path.dirname(process.argv[1]!),
        outDir,
        log: (line) => Console.log(`nemesis: ${line}`),
        installIptables: !args.noInstall
      }))
      yield* Console.log(outcome.report)
      yield* Effect.sync(() => {
        process.exitCode = outcome.exitCode
      })
    }).pipe(Effect.onInterrupt(() => interrupted))
).pipe(Command.withDescription("real processes, real faults (kill, pause, partition), then a linearizability check"))
