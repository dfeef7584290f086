/** The linearizability checker's public API. */
export { checkHistory, type CheckOptions, type CheckResult, exitCodeOf, type KeyResult, type Verdict } from "./checker.js"
export { HistoryOperation, HistoryParseError, type Operation, type OperationKind, parseHistory } from "./history.js"
export { type CheckLimits, checkLimitsFrom, defaultCheckLimits } from "./limits.js"
export { formatOperation, formatReport, formatWitness } from "./report.js"
export type { BlockedOperation, IndexedOperation, Witness } from "./witness.js"
