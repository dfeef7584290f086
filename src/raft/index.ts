/** The pure Raft core: public API. */
export { coreConfigFrom, type RaftCoreConfig } from "./config.js"
export { RaftLog } from "./log.js"
export * from "./messages.js"
export { followerProgress, isLeader, statusOf, type RaftStatus } from "./queries.js"
export { emptyPersisted, initialState, RaftInitError, type InitialStateOptions, type PersistedRaft } from "./state.js"
export { softStateOf, step, type StepResult } from "./step.js"
export type {
  HardState, OutboundMessage, PersistOutput, ProposalAccepted, ProposalRejected, RaftCounters, RaftInput, RaftOutput,
  RaftState, ReadFailed, ReadReady, RejectReason, Role, Snapshot, SoftState, TransferEvent
} from "./types.js"
