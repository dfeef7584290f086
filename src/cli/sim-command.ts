/**
 * `troupe sim --seeds N [--first S] | --seed S [--verbose]` (npm run sim): deterministic
 * whole-cluster simulations, one per seed. A failing seed prints its problems, its fault
 * schedule and the one-line command that replays it exactly.
 */
import { Command, Options } from "@effect/cli"
import { Console, Effect, Option } from "effect"

const seeds = Options.integer("seeds").pipe(Options.withDescription("how many seeds to run"), Options.withDefault(20))
const first = Options.integer("first").pipe(Options.withDescription("first seed of the range"), Options.withDefault(1))
const seed = Options.integer("seed").pipe(Options.withDescription("run this one seed only"), Options.optional)
const verbose = Options.boolean("verbose").pipe(Options.withDescription("print the fault schedule of every seed"))

export const simCommand = Command.make("sim", { seeds, first, seed, verbose }, (args) =>
  Effect.gen(function*() {
    const { describeParameters, runSwarmSeed } = yield* Effect.promise(() => import("../sim/swarm.js"))
    const list = Option.match(args.seed, {
      onNone: () => Array.from({ length: args.seeds }, (_, i) => args.first + i),
      onSome: (one) => [one]
    })
    const failed: Array<number> = []
    const started = Date.now()
    for (const current of list) {
      const result = runSwarmSeed(current)
      const line = `seed ${current}: ${result.ok ? "ok  " : "FAIL"} ${describeParameters(result.parameters)} | ` +
        `ops=${result.operations} completed=${result.completed} terms=${result.terms} virtual=${(result.virtualMs / 1000).toFixed(1)}s`
      yield* Console.log(line)
      if (args.verbose || !result.ok) for (const fault of result.faults) yield* Console.log(`    ${fault}`)
      if (!result.ok) {
        failed.push(current)
        for (const problem of result.problems) yield* Console.log(`    ${problem.replaceAll("\n", "\n    ")}`)
        yield* Console.log(`    reproduce: npm run sim -- --seed ${current} --verbose`)
      }
    }
    const seconds = ((Date.now() - started) / 1000).toFixed(1)
    yield* Console.log(`${list.length - failed.length} passed, ${failed.length} failed (${seconds} s)`)
    if (failed.length > 0) {
      yield* Console.log(`failing seeds: ${failed.join(" ")}`)
      process.exitCode = 1
    }
  })
).pipe(Command.withDescription("deterministic whole-cluster simulations with faults; checks safety, linearizability, liveness"))
