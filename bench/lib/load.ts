/** What a load generator is asked to do and what it reports, whichever tool runs it. */
import type { MachineTime } from "./proc-cpu.js"

export interface LoadSpec {
  /** host:port the load goes to (the leader). */
  readonly address: string
  /** write: `GET /KEY=VALUE` with a fresh 16-byte key each time; read: `GET readPath` again and again. */
  readonly mode: "write" | "read"
  readonly readPath: string
  readonly connections: number
  readonly threads: number
  readonly durationS: number
}

export interface LoadResult {
  readonly tool: "wrk" | "node"
  readonly requests: number
  readonly seconds: number
  readonly perSecond: number
  readonly p50Ms: number
  readonly p99Ms: number
  readonly maxMs: number
  /** Non-2xx answers plus socket errors and timeouts: a benchmark with failures is not a result. */
  readonly failed: number
}

/** The shape: distinct 16-byte keys, 100-byte values. */
export const KEY_BYTES = 16
export const VALUE_BYTES = 100

/** A line the generators print so the parent can find their result among other output. */
export const RESULT_MARKER = "TROUPE_RESULT "

/** Most output a generator may print before it is considered broken. */
export const MAX_GENERATOR_OUTPUT_BYTES = 1 << 20

/** A load phase with the CPU the servers really used meanwhile (see proc-cpu.ts). */
export interface MeasuredLoad {
  readonly load: LoadResult
  /** CPU milliseconds of the server under load (the leader, or the baseline server). */
  readonly serverCpuMs: number | undefined
  /** CPU milliseconds per follower, averaged (cluster phases only). */
  readonly followerCpuMs: number | undefined
  /** CPU milliseconds of every server process together (all nodes, or the baseline server). */
  readonly allServersCpuMs: number | undefined
  /** The whole machine during the phase (/proc/stat). */
  readonly machine: MachineTime | undefined
  /** Peer messages the leader sent and received during the phase (cluster phases only). */
  readonly leaderTraffic: { readonly sent: number; readonly received: number; readonly sentBytes: number } | undefined
}
