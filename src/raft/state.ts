/**
 * Building the core's state at start and after a crash, from what the shell made durable
 * (hard state, latest snapshot, log entries after it). Volatile state (commit, leader, progress)
 * is rebuilt by the protocol.
 */
import { Data, Either } from "effect"
import type { RaftCoreConfig } from "./config.js"
import { RaftLog } from "./log.js"
import type { Entry } from "./messages.js"
import { nextIntBetween } from "./prng.js"
import type { HardState, NodeId, RaftState, Snapshot } from "./types.js"

export class RaftInitError extends Data.TaggedError("RaftInitError")<{ readonly problem: string }> {
  override get message(): string {
    return `raft: cannot start from persisted state: ${this.problem}`
  }
}

export interface PersistedRaft {
  readonly hardState: HardState
  readonly snapshot?: Snapshot | undefined
  readonly entries: ReadonlyArray<Entry>
}

export interface InitialStateOptions {
  readonly self: NodeId
  /** Every member of the cluster; `self` may be included, it is removed. */
  readonly peers: ReadonlyArray<NodeId>
  readonly config: RaftCoreConfig
  /** Seeds the election-timeout PRNG; give each node a different seed. */
  readonly seed: number
  readonly persisted?: PersistedRaft | undefined
}

export const emptyPersisted: PersistedRaft = { hardState: { term: 0, vote: null }, entries: [] }

const validate = (persisted: PersistedRaft): string | undefined => {
  const snapshotIndex = persisted.snapshot?.index ?? 0
  const snapshotTerm = persisted.snapshot?.term ?? 0
  let expectedIndex = snapshotIndex + 1
  let previousTerm = snapshotTerm
  for (const entry of persisted.entries) {
    if (entry.index !== expectedIndex) return `entry ${entry.index} found where ${expectedIndex} was expected`
    if (entry.term < previousTerm) return `entry ${entry.index} has term ${entry.term} below the previous ${previousTerm}`
    expectedIndex++
    previousTerm = entry.term
  }
  if (previousTerm > persisted.hardState.term) return `log term ${previousTerm} exceeds the stored term ${persisted.hardState.term}`
  return undefined
}

export const initialState = (options: InitialStateOptions): Either.Either<RaftState, RaftInitError> => {
  const persisted = options.persisted ?? emptyPersisted
  const problem = validate(persisted)
  if (problem !== undefined) return Either.left(new RaftInitError({ problem }))
  const snapshot = persisted.snapshot
  const draw = nextIntBetween(options.seed | 0, options.config.electionTicksMin, options.config.electionTicksMax)
  return Either.right({
    self: options.self,
    peers: [...new Set(options.peers)].filter((peer) => peer !== options.self),
    config: options.config,
    rngSeed: draw.seed,
    term: persisted.hardState.term,
    vote: persisted.hardState.vote,
    role: "follower",
    leader: null,
    log: new RaftLog(snapshot?.index ?? 0, snapshot?.term ?? 0, persisted.entries),
    snapshot,
    commitIndex: snapshot?.index ?? 0,
    durableIndex: 0,
    appliedIndex: snapshot?.index ?? 0,
    electionElapsed: 0,
    randomizedElectionTicks: draw.value,
    heartbeatElapsed: 0,
    votes: new Map(),
    progress: new Map(),
    pendingReads: [],
    readRound: 0,
    readRoundInFlight: 0,
    transfer: undefined,
    incomingSnapshot: undefined,
    counters: { droppedMessages: 0, droppedSnapshots: 0 }
  })
}
