/**
 * A profiled load phase: a fresh cluster whose nodes run with `node --cpu-prof`, one load
 * phase against the leader, then a graceful stop (V8 writes the profile on exit). The
 * leader's profile is summarized over the load window only, so startup and shutdown do not
 * blur the numbers.
 */
import * as fs from "node:fs"
import * as path from "node:path"
import { Duration, Effect } from "effect"
import type { TroupeConfig } from "../../config/schema.js"
import { makeCluster } from "./cluster.js"
import { type CpuProfile, type ProfileSummary, readProfile, summarize } from "./cpuprofile.js"
import { BenchError } from "./errors.js"
import type { LoadResult, LoadSpec } from "./load.js"
import { withCpu } from "./proc-cpu.js"
import { prepareReadKey } from "./read-key.js"

export interface ProfiledPhase {
  readonly load: LoadResult
  readonly leader: string
  readonly profileFile: string
  readonly leaderSummary: ProfileSummary
  /** Whether the window could be cut to the load phase (else the whole profile is summarized). */
  readonly windowed: boolean
  readonly followerSummary: ProfileSummary | undefined
  /** The leader's real CPU time during the load (/proc), to set against the profile's busy time. */
  readonly leaderCpuMs: number | undefined
}

export interface ProfilePhaseOptions {
  readonly mode: LoadSpec["mode"]
  readonly binDir: string
  readonly workDir: string
  readonly config: TroupeConfig
  readonly load: Omit<LoadSpec, "address" | "mode" | "readPath">
  readonly runLoad: (spec: LoadSpec) => Effect.Effect<LoadResult, BenchError>
  readonly topFunctions: number
}

const LEADER_WITHIN = Duration.seconds(20)

/** V8's profile clock and process.hrtime are both CLOCK_MONOTONIC in microseconds on Linux. */
const monotonicUs = () => Number(process.hrtime.bigint() / 1000n)

/** node writes one profile per thread (CPU.<date>.<time>.<pid>.<thread>.<seq>); thread 0 is the event loop. */
const MAIN_THREAD_PROFILE = /^CPU\.\d+\.\d+\.\d+\.0\.\d+\.cpuprofile$/

const profileOf = (dir: string): string => {
  const files = fs.existsSync(dir) ? fs.readdirSync(dir).filter((f) => MAIN_THREAD_PROFILE.test(f)) : []
  if (files.length !== 1) throw new BenchError({ reason: `expected one main-thread .cpuprofile in ${dir}, found ${files.length}` })
  return path.join(dir, files[0]!)
}

const insideProfile = (profile: CpuProfile, fromUs: number, toUs: number) => profile.startTime <= fromUs && toUs <= profile.endTime

export const runProfiledPhase = (options: ProfilePhaseOptions): Effect.Effect<ProfiledPhase, BenchError> =>
  Effect.gen(function*() {
    const profileDir = (index: number) => path.join(options.workDir, `cpu-prof-${index}`)
    const { fromUs, leader, leaderCpuMs, leaderIndex, load, toUs } = yield* Effect.scoped(Effect.gen(function*() {
      const cluster = yield* makeCluster({
        binDir: options.binDir,
        workDir: options.workDir,
        size: 3,
        config: options.config,
        nodeFlags: (index) => ["--cpu-prof", `--cpu-prof-dir=${profileDir(index)}`]
      })
      const leader = yield* cluster.awaitStableLeader(LEADER_WITHIN, Duration.times(options.config.raft.electionTimeoutMax, 2))
      const readPath = yield* prepareReadKey(leader)
      const fromUs = monotonicUs()
      const { cpuMs, result: load } = yield* withCpu(
        [cluster.pid(cluster.indexOf(leader))],
        options.runLoad({ ...options.load, address: leader, mode: options.mode, readPath })
      )
      const toUs = monotonicUs()
      const leaderAfter = yield* cluster.awaitLeader(LEADER_WITHIN)
      if (leaderAfter !== leader) {
        return yield* new BenchError({ reason: `leadership moved during the profiled ${options.mode} phase (${leader} -> ${leaderAfter})` })
      }
      return { fromUs, toUs, load, leader, leaderIndex: cluster.indexOf(leader), leaderCpuMs: cpuMs[0] }
    }))
    return yield* Effect.try({
      try: () => {
        const profileFile = profileOf(profileDir(leaderIndex))
        const profile = readProfile(profileFile)
        const windowed = insideProfile(profile, fromUs, toUs)
        const window = windowed ? { fromUs, toUs } : undefined
        const summaryOf = (p: CpuProfile) => summarize(p, { top: options.topFunctions, ...(window === undefined ? {} : { window }) })
        const followerIndex = leaderIndex === 1 ? 2 : 1
        const followerFile = profileOf(profileDir(followerIndex))
        return {
          load,
          leader,
          leaderCpuMs,
          profileFile,
          windowed,
          leaderSummary: summaryOf(profile),
          followerSummary: summaryOf(readProfile(followerFile))
        }
      },
      catch: (error) => error instanceof BenchError ? error : new BenchError({ reason: `reading profiles: ${String(error)}` })
    })
  })
