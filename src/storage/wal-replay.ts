/**
 * Replaying WAL segments into the log they describe (pure: bytes in, state out). The shell in
 * wal.ts reads the segments, feeds them in order, and repairs whatever `feed` reports as bad.
 */
import type { Entry } from "../raft/messages.js"
import { DenseLog } from "./wal-log.js"
import { type HardState, scanFrames, type WalRecord } from "./wal-record.js"

const SEGMENT_NAME = /^wal-(\d{8,})\.log$/

export const SEGMENT_PREFIX = "wal-"

export const segmentName = (seq: number): string => `${SEGMENT_PREFIX}${seq.toString().padStart(8, "0")}.log`

export const parseSegmentName = (name: string): number | undefined => {
  const match = SEGMENT_NAME.exec(name)
  if (match === null) return undefined
  const seq = Number(match[1])
  return Number.isSafeInteger(seq) ? seq : undefined
}

export interface SegmentInfo {
  readonly seq: number
  bytes: number
  /** Highest entry index written to this segment, -1 if none: compaction deletes a segment once a snapshot covers it. */
  maxIndex: number
}

export interface FeedResult {
  /** Bytes of the segment that hold good records. */
  readonly validBytes: number
  /** Set when a bad record stopped the replay inside this segment. */
  readonly problem?: string
}

const entriesAreContiguous = (entries: ReadonlyArray<Entry>): boolean =>
  entries.every((entry, position) => position === 0 || entry.index === entries[position - 1]!.index + 1)

export class Replayer {
  readonly log = new DenseLog<Entry>()
  hardState: HardState = { term: 0, vote: null }
  readonly segments: Array<SegmentInfo> = []
  records = 0

  constructor(private readonly maxPayloadBytes: number) {}

  /** Applies the records of the next segment; stops at the first bad one. */
  feed(seq: number, bytes: Uint8Array): FeedResult {
    const scan = scanFrames(bytes, this.maxPayloadBytes)
    const segment: SegmentInfo = { seq, bytes: scan.validBytes, maxIndex: -1 }
    this.segments.push(segment)
    for (const { offset, record } of scan.records) {
      if (record.type === "entries" && !entriesAreContiguous(record.entries)) {
        segment.bytes = offset
        return { validBytes: offset, problem: `entries record with gaps at byte ${offset}` }
      }
      this.apply(record, segment)
    }
    return scan.problem === undefined ? { validBytes: scan.validBytes } : { validBytes: scan.validBytes, problem: scan.problem }
  }

  private apply(record: WalRecord, segment: SegmentInfo): void {
    this.records++
    switch (record.type) {
      case "hardState":
        this.hardState = { term: record.term, vote: record.vote }
        return
      case "truncate":
        this.log.truncateFrom(record.from)
        return
      case "entries": {
        const first = record.entries[0]
        this.log.append(first.index, record.entries)
        segment.maxIndex = Math.max(segment.maxIndex, first.index + record.entries.length - 1)
        return
      }
    }
  }
}
