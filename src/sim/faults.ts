/**
 * The fault model of the simulated network, as pure data and pure functions: per-link faults
 * (delay, loss, duplication, reordering) and the topology (partitions, one-way cuts, isolated
 * nodes). The network shell (network.ts) owns the current values and asks these functions what
 * happens to each message.
 */
import { Data, Either, ParseResult, Schema } from "effect"
import type { NodeId } from "../config/servers.js"

export class SimFaultError extends Data.TaggedError("SimFaultError")<{
  readonly operation: string
  readonly problem: string
}> {
  override get message(): string {
    return `sim ${this.operation}: ${this.problem}`
  }
}

const Probability = Schema.Number.pipe(Schema.between(0, 1))
const NonNegativeMs = Schema.Int.pipe(Schema.nonNegative())

export const LinkFaults = Schema.Struct({
  /** Each message's delay is sampled uniformly in [delayMinMs, delayMaxMs]. */
  delayMinMs: NonNegativeMs,
  delayMaxMs: NonNegativeMs,
  lossProbability: Probability,
  /** A duplicate is a second copy with its own sampled delay. */
  duplicateProbability: Probability,
  /**
   * A reordered message is held back by an extra delay in [1, reorderExtraMaxMs], so messages
   * sent shortly after it overtake it even when the delay range is narrow.
   */
  reorderProbability: Probability,
  reorderExtraMaxMs: NonNegativeMs
}).pipe(
  Schema.filter((faults) => faults.delayMinMs <= faults.delayMaxMs || "delayMinMs must not exceed delayMaxMs")
)
export type LinkFaults = typeof LinkFaults.Type

/** A perfect network: instant, lossless, in order. */
export const perfectLink: LinkFaults = {
  delayMinMs: 0,
  delayMaxMs: 0,
  lossProbability: 0,
  duplicateProbability: 0,
  reorderProbability: 0,
  reorderExtraMaxMs: 0
}

/** Merges a partial update over `base` and validates the result. */
export const mergeLinkFaults = (
  operation: string,
  base: LinkFaults,
  update: Partial<LinkFaults>
): Either.Either<LinkFaults, SimFaultError> =>
  Either.mapLeft(
    Schema.decodeUnknownEither(LinkFaults, { onExcessProperty: "error" })({ ...base, ...update }),
    (error) => new SimFaultError({ operation, problem: ParseResult.TreeFormatter.formatErrorSync(error) })
  )

/**
 * Who can reach whom. `groups` empty means no partition; otherwise a link a->b works only if
 * some group holds both (a bridge node sits in two groups). Nodes named in no group form one
 * implicit extra group together. Cuts are one-way; isolated nodes reach nobody.
 */
export interface Topology {
  readonly groups: ReadonlyArray<ReadonlySet<NodeId>>
  readonly cuts: ReadonlySet<string>
  readonly isolated: ReadonlySet<NodeId>
}

export const healedTopology: Topology = { groups: [], cuts: new Set(), isolated: new Set() }

export const linkKey = (from: NodeId, to: NodeId): string => `${from}>${to}`

const inSomeGroup = (topology: Topology, node: NodeId): boolean => topology.groups.some((group) => group.has(node))

export const canReach = (topology: Topology, from: NodeId, to: NodeId): boolean => {
  if (from === to) return true
  if (topology.isolated.has(from) || topology.isolated.has(to)) return false
  if (topology.cuts.has(linkKey(from, to))) return false
  if (topology.groups.length === 0) return true
  const fromGrouped = inSomeGroup(topology, from)
  const toGrouped = inSomeGroup(topology, to)
  if (!fromGrouped && !toGrouped) return true
  return topology.groups.some((group) => group.has(from) && group.has(to))
}

export const withPartition = (topology: Topology, groups: ReadonlyArray<ReadonlyArray<NodeId>>): Topology => ({
  ...topology,
  groups: groups.map((group) => new Set(group))
})

/** `left` and `right` cannot reach each other; `bridge` reaches both. */
export const withBridge = (
  topology: Topology,
  left: ReadonlyArray<NodeId>,
  right: ReadonlyArray<NodeId>,
  bridge: NodeId
): Topology => withPartition(topology, [[...left, bridge], [...right, bridge]])

export const withCut = (topology: Topology, from: NodeId, to: NodeId): Topology => ({
  ...topology,
  cuts: new Set([...topology.cuts, linkKey(from, to)])
})

export const withIsolated = (topology: Topology, node: NodeId): Topology => ({
  ...topology,
  isolated: new Set([...topology.isolated, node])
})

/**
 * Uniform numbers in [0, 1) drawn for one send. A fixed number is drawn for every send, whatever
 * the faults, so changing one fault's probability does not shift the random stream of the others.
 */
export interface SendRolls {
  readonly loss: number
  readonly duplicate: number
  readonly reorder: number
  readonly delay: number
  readonly duplicateDelay: number
  readonly reorderExtra: number
}

export const ROLLS_PER_SEND = 6

export type SendFate =
  | { readonly _tag: "Lost" }
  | {
    readonly _tag: "Sent"
    readonly delayMs: number
    readonly reordered: boolean
    /** Delay of the duplicate copy, if one is made. */
    readonly duplicateDelayMs: number | undefined
  }

const sampleBetween = (roll: number, min: number, max: number): number =>
  max <= min ? min : min + Math.floor(roll * (max - min + 1))

/** What the link does to one message (reachability is checked separately, by the shell). */
export const decideSendFate = (faults: LinkFaults, rolls: SendRolls): SendFate => {
  if (rolls.loss < faults.lossProbability) return { _tag: "Lost" }
  const baseDelayMs = sampleBetween(rolls.delay, faults.delayMinMs, faults.delayMaxMs)
  const reordered = faults.reorderExtraMaxMs > 0 && rolls.reorder < faults.reorderProbability
  const delayMs = reordered ? baseDelayMs + sampleBetween(rolls.reorderExtra, 1, faults.reorderExtraMaxMs) : baseDelayMs
  const duplicateDelayMs = rolls.duplicate < faults.duplicateProbability
    ? sampleBetween(rolls.duplicateDelay, faults.delayMinMs, faults.delayMaxMs)
    : undefined
  return { _tag: "Sent", delayMs, reordered, duplicateDelayMs }
}
