/**
 * The data of the pure Raft core: its state, the inputs it steps on and the output ("Ready")
 * each step produces. The shell processes an output strictly in field order: persist (durably),
 * then send messages, then apply, then report reads/proposals/status.
 */
import type { RaftCoreConfig } from "./config.js"
import type { RaftLog } from "./log.js"
import type { Entry, RaftMessage } from "./messages.js"

export type NodeId = string

export type Role = "follower" | "precandidate" | "candidate" | "leader"

export interface HardState {
  readonly term: number
  readonly vote: NodeId | null
}

export interface Snapshot {
  readonly index: number
  readonly term: number
  readonly data: string
}

// ---------------------------------------------------------------------------------------------
// Inputs

export type RaftInput =
  | { readonly _tag: "Tick" }
  | { readonly _tag: "Receive"; readonly from: NodeId; readonly message: RaftMessage }
  | { readonly _tag: "Propose"; readonly data: ReadonlyArray<string> }
  /** Reads that arrived together (one step for a whole batch; they may share one round). */
  | { readonly _tag: "ReadIndex"; readonly requestIds: ReadonlyArray<number> }
  | { readonly _tag: "TransferLeadership"; readonly to?: NodeId }
  | { readonly _tag: "Compact"; readonly index: number; readonly data: string }
  /**
   * The shell made this node's log durable up to `index`, written while it led in `term`. A
   * leader counts itself toward a commit only up to there, so its own fsync may run beside the
   * followers' (a slow disk of three is outvoted) and nothing commits on fewer than a majority
   * of disks.
   */
  | { readonly _tag: "LogDurable"; readonly index: number; readonly term: number }

// ---------------------------------------------------------------------------------------------
// Output

export interface PersistOutput {
  /** Present only when term or vote changed in this step. */
  hardState?: HardState
  /**
   * A snapshot to store durably: entries up to its index are obsolete. Set after `Compact`
   * (the shell's own snapshot) and when a leader's snapshot was installed (see `applySnapshot`).
   * Applied before `truncateFrom` and `entries`.
   */
  snapshot?: Snapshot
  /** Drop stored entries with index >= truncateFrom (before appending `entries`). */
  truncateFrom?: number
  /** Entries to append, in index order, after the truncation. */
  entries: Array<Entry>
}

export interface OutboundMessage {
  readonly to: NodeId
  readonly message: RaftMessage
}

export type RejectReason = "not-leader" | "transferring" | "overloaded" | "too-large"

export interface ProposalAccepted {
  readonly term: number
  readonly firstIndex: number
  readonly lastIndex: number
}

export interface ProposalRejected {
  readonly reason: RejectReason
  /** The leader this node knows of (for forwarding), or null. */
  readonly leader: NodeId | null
}

export interface ReadReady {
  readonly requestId: number
  /** Serve the read once the state machine has applied at least this index. */
  readonly index: number
}

export interface ReadFailed {
  readonly requestId: number
  readonly reason: "not-leader" | "overloaded"
  readonly leader: NodeId | null
}

export type TransferEvent =
  | { readonly _tag: "TransferStarted"; readonly to: NodeId }
  | { readonly _tag: "TransferRejected"; readonly reason: string; readonly leader: NodeId | null }
  | { readonly _tag: "TransferAborted"; readonly to: NodeId }

export interface SoftState {
  /** "precandidate" is reported as "candidate". */
  readonly role: "leader" | "follower" | "candidate"
  readonly term: number
  readonly leader: NodeId | null
}

export interface RaftOutput {
  readonly persist: PersistOutput
  readonly messages: Array<OutboundMessage>
  /** Committed entries to apply, in order; after `applySnapshot` if both are present. */
  readonly apply: Array<Entry>
  /** A leader's snapshot was installed: the state machine must load it before `apply`. */
  applySnapshot?: Snapshot
  readonly readsReady: Array<ReadReady>
  readonly readsFailed: Array<ReadFailed>
  proposed?: ProposalAccepted
  proposalRejected?: ProposalRejected
  compactRejected?: string
  readonly transferEvents: Array<TransferEvent>
  /** Present when role, term or leader changed in this step. */
  softState?: SoftState
}

// ---------------------------------------------------------------------------------------------
// State

export type ProgressMode = "probe" | "replicate" | "snapshot"

/** The leader's view of one follower (etcd-io/raft's Progress). */
export interface Progress {
  match: number
  next: number
  mode: ProgressMode
  /** Probe mode: an append is outstanding; wait for its answer or the next heartbeat. */
  probeSent: boolean
  /** Replicate mode: last index of each append in flight, oldest first (bounded). */
  inflight: Array<number>
  /** `match` at the previous heartbeat, to detect a pipeline stalled by lost appends. */
  matchAtLastHeartbeat: number
  /** Heard from in the current check-quorum window. */
  recentActive: boolean
  /** Highest ReadIndex round this follower has acknowledged. */
  readRoundAcked: number
  /** Snapshot mode: which snapshot is being sent and the next chunk offset. */
  snapshotIndex: number
  snapshotOffset: number
  snapshotOffsetAtLastHeartbeat: number
}

export interface PendingRead {
  readonly requestId: number
  /** 0 until a round is started for it. */
  round: number
  index: number
}

export interface IncomingSnapshot {
  readonly index: number
  readonly term: number
  readonly chunks: Array<string>
  /** In UTF-16 units: chunk offsets are string offsets into the snapshot's data. */
  receivedLength: number
  /** In UTF-8 bytes: what maxSnapshotBytes bounds. */
  receivedBytes: number
}

export interface Transfer {
  readonly target: NodeId
  elapsedTicks: number
}

export interface RaftCounters {
  /** Messages dropped: unknown sender, inconsistent content. */
  droppedMessages: number
  /** Snapshots from a leader dropped for exceeding maxSnapshotBytes. */
  droppedSnapshots: number
}

/**
 * Everything the core knows. Mutable: `step` updates it in place and returns it; the caller
 * must use the returned state and must not reuse an older reference.
 */
export interface RaftState {
  readonly self: NodeId
  /** The other members (never includes self). */
  readonly peers: ReadonlyArray<NodeId>
  readonly config: RaftCoreConfig
  rngSeed: number
  term: number
  vote: NodeId | null
  role: Role
  leader: NodeId | null
  readonly log: RaftLog
  /** The latest snapshot this node holds (its own after Compact, or a leader's). */
  snapshot: Snapshot | undefined
  commitIndex: number
  /** A leader's own log is durable up to here (LogDurable); what it counts for itself in a commit. */
  durableIndex: number
  /** Everything up to here was handed to the state machine in some output. */
  appliedIndex: number
  electionElapsed: number
  randomizedElectionTicks: number
  heartbeatElapsed: number
  /** Votes received in the current (pre-)election: voter -> granted. */
  votes: Map<NodeId, boolean>
  progress: Map<NodeId, Progress>
  pendingReads: Array<PendingRead>
  /** Latest ReadIndex round started (carried by every AppendEntries the leader sends). */
  readRound: number
  /** The round awaiting confirmation, or 0. */
  readRoundInFlight: number
  transfer: Transfer | undefined
  incomingSnapshot: IncomingSnapshot | undefined
  readonly counters: RaftCounters
}
