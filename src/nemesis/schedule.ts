/**
 * The fault schedule, planned up front from a seed so a run's faults can be printed and
 * replayed: after a warm-up, one fault at a time (active, then healed and quiet), kinds in
 * turn, each aimed at the leader of the moment or at a node picked at random. Pure.
 */
import { Prng } from "../sim/random.js"
import type { FaultKind, NemesisSettings } from "./settings.js"

export type FaultTarget =
  | { readonly _tag: "leader" }
  | { readonly _tag: "node"; readonly index: number }

export interface PlannedFault {
  readonly id: number
  readonly kind: FaultKind
  readonly target: FaultTarget
  /** Offsets from the start of the workload. */
  readonly startMs: number
  readonly endMs: number
}

type ScheduleInput = Pick<
  NemesisSettings,
  "durationMs" | "nodes" | "faults" | "seed" | "warmupMs" | "faultActiveMs" | "quietMs" | "cooldownMs"
>

export const planFaults = (input: ScheduleInput): ReadonlyArray<PlannedFault> => {
  const prng = new Prng(input.seed).fork("faults")
  const planned: Array<PlannedFault> = []
  if (input.faults.length === 0 || input.nodes < 1) return planned
  const period = input.faultActiveMs + input.quietMs
  const lastEnd = input.durationMs - input.cooldownMs
  // Bounded by the run length: each turn advances the clock by a positive period.
  for (let startMs = input.warmupMs; startMs + input.faultActiveMs <= lastEnd && period > 0; startMs += period) {
    const id = planned.length + 1
    const kind = input.faults[(id - 1) % input.faults.length]!
    const target: FaultTarget = prng.chance(0.5)
      ? { _tag: "leader" }
      : { _tag: "node", index: prng.nextIntBetween(0, input.nodes - 1) }
    planned.push({ id, kind, target, startMs, endMs: startMs + input.faultActiveMs })
  }
  return planned
}

export const describeTarget = (target: FaultTarget): string =>
  target._tag === "leader" ? "the leader" : `node ${target.index + 1}`
