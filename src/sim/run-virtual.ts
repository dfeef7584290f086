/** Runs an Effect in virtual time (see virtual-time.ts) and returns its exit, for tests and tools. */
import { type Effect, type Exit, Random } from "effect"
import { type SimulationStuck, VirtualTime } from "./virtual-time.js"

export const runVirtual = <A, E>(
  program: Effect.Effect<A, E>,
  options: { readonly seed: number; readonly maxTimeMs?: number; readonly maxTasks?: number }
): { readonly exit: Exit.Exit<A, E | SimulationStuck>; readonly virtualMs: number } => {
  const time = new VirtualTime()
  const exit = time.run(program, Random.make(options.seed), {
    maxTimeMs: options.maxTimeMs ?? 600_000,
    maxTasks: options.maxTasks ?? 500_000_000
  })
  return { exit, virtualMs: time.now }
}
