/** Counters of the file-transfer receiver, for logs, /metrics and tests. */

export interface ReceiverStats {
  readonly datagrams: number
  /** Could not be decoded, or longer than allowed. */
  readonly malformed: number
  /** Well-formed but not expected: data without a session, acks, conflicting starts. */
  readonly unexpected: number
  /** Starts refused: bad name, too large, too many sessions. */
  readonly refused: number
  /** Ignored inside a session (out of window, beyond the size, ...). */
  readonly ignored: number
  /** Dropped because a session's inbox was full. */
  readonly droppedSessionBusy: number
  readonly sessionsOpened: number
  readonly completed: number
  readonly aborted: number
  /** Sessions that died of a defect (logged; the role carried on). */
  readonly sessionDefects: number
}

export type ReceiverStatsCounters = { -readonly [K in keyof ReceiverStats]: ReceiverStats[K] }

export const emptyReceiverStats = (): ReceiverStatsCounters => ({
  datagrams: 0,
  malformed: 0,
  unexpected: 0,
  refused: 0,
  ignored: 0,
  droppedSessionBusy: 0,
  sessionsOpened: 0,
  completed: 0,
  aborted: 0,
  sessionDefects: 0
})
