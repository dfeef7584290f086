/**
 * Bounds of the linearizability checker: input size, search time (as steps) and memory.
 *
 * Key and value lengths come from the decoded `TroupeConfig` (the checker reads histories of
 * troupe's own KV). The search budgets have no config section yet, so they are named here, in
 * one place, until the lead adds a `check` section to config/schema.ts.
 */
import type { TroupeConfig } from "../../config/schema.js"
import { defaultConfig } from "../config/load.js"

export interface CheckLimits {
  /** Largest history file the CLI will read. */
  readonly maxHistoryBytes: number
  /** Longest JSON line accepted; longer lines are an error naming the line. */
  readonly maxLineChars: number
  /** Most operations in one history. */
  readonly maxOperations: number
  readonly maxKeyLength: number
  readonly maxValueLength: number
  /** Search steps (list moves) per key before that key's verdict becomes "unknown". */
  readonly maxStepsPerKey: number
  /** Search steps over all keys; keys checked after it runs out are "unknown". */
  readonly maxStepsTotal: number
  /** Estimated bytes of the memo cache per key before the verdict becomes "unknown". */
  readonly maxCacheBytesPerKey: number
  /** How many operations of the longest linearizable prefix a witness shows. */
  readonly witnessContext: number
  /** How many blocked operations a witness lists. */
  readonly witnessBlockedMax: number
}

/** Room for the field names, times and punctuation of one JSON line, beyond key and values. */
const lineOverheadChars = 1024

const checkerBudgets = {
  // Below V8's largest string (~512 MiB), since the CLI reads the file as one text.
  maxHistoryBytes: 256 * 1024 * 1024,
  maxOperations: 2_000_000,
  maxStepsPerKey: 5_000_000,
  maxStepsTotal: 50_000_000,
  maxCacheBytesPerKey: 256 * 1024 * 1024,
  witnessContext: 6,
  witnessBlockedMax: 8
} as const

export const checkLimitsFrom = (config: TroupeConfig): CheckLimits => {
  const maxKeyLength = config.http.maxKeyLength
  const maxValueLength = config.http.maxValueLength
  // A line carries one key and up to three values (value, expect, output); JSON escaping can
  // grow a printable character to 6 chars (\u00XX).
  const maxLineChars = 6 * (maxKeyLength + 3 * maxValueLength) + lineOverheadChars
  return {
    ...checkerBudgets,
    maxKeyLength,
    maxValueLength,
    maxLineChars
  }
}

export const defaultCheckLimits = (): CheckLimits => checkLimitsFrom(defaultConfig())
