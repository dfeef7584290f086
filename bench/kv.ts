/**
 * KV benchmark (the spec): a local 3-node troupe cluster on 127.0.0.1-3, wrk-style load
 * (2 threads, 64 keep-alive connections) against the leader: writes of distinct 16-byte keys
 * with 100-byte values, then linearizable reads of one key; then failover (SIGKILL the leader,
 * time to the first successful write through a survivor, median of 5). Also a bare node:http
 * baseline under the same load, and CPU profiles of the leader during writes and during reads.
 *
 * Run: npm run build && node --import tsx bench/kv.ts [--duration S] [--connections 64]
 *      (--help lists the rest). Uses wrk when installed (apt-get install wrk), else a Node
 * generator in child processes. The numbers are only as quiet as the machine: say how loaded it was.
 */
import * as fs from "node:fs"
import * as os from "node:os"
import * as path from "node:path"
import { fileURLToPath } from "node:url"
import { Cause, Duration, Effect, Exit, Fiber } from "effect"
import type { TroupeConfig } from "../config/schema.js"
import { defaultConfig } from "../src/config/load.js"
import { type BenchOptions, parseArgs } from "./lib/args.js"
import { startBaseline } from "./lib/baseline.js"
import { snapshotBinary } from "./lib/binary.js"
import { type Cluster, makeCluster } from "./lib/cluster.js"
import { attempt, BenchError } from "./lib/errors.js"
import { type FailoverResult, failoverRound } from "./lib/failover.js"
import { probeFsync } from "./lib/fsync-probe.js"
import { fetchCounter, fetchPeerTraffic } from "./lib/http-probe.js"
import type { LoadResult, LoadSpec, MeasuredLoad } from "./lib/load.js"
import { runNodeLoad } from "./lib/node-load.js"
import { type ProfiledPhase, runProfiledPhase } from "./lib/profile-phase.js"
import { withCpu } from "./lib/proc-cpu.js"
import { prepareReadKey } from "./lib/read-key.js"
import { formatReport, type Report } from "./lib/report.js"
import { runWrk, wrkAvailable } from "./lib/wrk.js"

const REPO_ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..")
const LEADER_WITHIN = Duration.seconds(20)
const METRICS_TIMEOUT_MS = 2000
const TOP_FUNCTIONS = 20

type RunLoad = (spec: LoadSpec) => Effect.Effect<LoadResult, BenchError>

const chooseLoadGenerator = (options: BenchOptions, workDir: string): { tool: "wrk" | "node"; run: RunLoad } => {
  const useWrk = options.loadgen === "wrk" || (options.loadgen === "auto" && wrkAvailable())
  if (options.loadgen === "wrk" && !wrkAvailable()) throw new BenchError({ reason: "--loadgen wrk: wrk is not installed" })
  return useWrk ? { tool: "wrk", run: (spec) => runWrk(spec, workDir) } : { tool: "node", run: runNodeLoad }
}

const workFolder = (options: BenchOptions) =>
  Effect.acquireRelease(
    Effect.sync(() => {
      if (options.outDir === undefined) return fs.mkdtempSync(path.join(os.tmpdir(), "troupe-bench-kv-"))
      fs.mkdirSync(options.outDir, { recursive: true })
      return fs.mkdtempSync(path.join(path.resolve(options.outDir), "run-"))
    }),
    // A folder the user named is kept (profiles, logs); a temp one is removed.
    (dir) => options.outDir === undefined ? Effect.sync(() => fs.rmSync(dir, { recursive: true, force: true })) : Effect.void
  )

const average = (values: ReadonlyArray<number | undefined>): number | undefined => {
  const known = values.filter((v): v is number => v !== undefined)
  return known.length === 0 ? undefined : known.reduce((a, b) => a + b, 0) / known.length
}

/** Undefined unless every value is known: a partial sum would understate the cost. */
const sum = (values: ReadonlyArray<number | undefined>): number | undefined =>
  values.some((v) => v === undefined) ? undefined : values.reduce<number>((a, b) => a + b!, 0)

/** Runs one load phase against the leader, measuring each node's CPU (leader first). */
const measuredLoad = (cluster: Cluster, leader: string, runLoad: RunLoad, spec: LoadSpec): Effect.Effect<MeasuredLoad, BenchError> => {
  const members = [leader, ...cluster.addresses.filter((address) => address !== leader)]
  const traffic = Effect.promise(() => fetchPeerTraffic(leader, METRICS_TIMEOUT_MS))
  return Effect.gen(function*() {
    const before = yield* traffic
    const { cpuMs, machine, result } = yield* withCpu(members.map((address) => cluster.pid(cluster.indexOf(address))), runLoad(spec))
    const after = yield* traffic
    const leaderTraffic = before === undefined || after === undefined ? undefined : {
      sent: after.sentMessages - before.sentMessages,
      received: after.receivedMessages - before.receivedMessages,
      sentBytes: after.sentBytes - before.sentBytes
    }
    return { load: result, serverCpuMs: cpuMs[0], followerCpuMs: average(cpuMs.slice(1)), allServersCpuMs: sum(cpuMs), machine, leaderTraffic }
  })
}

/** Writes, reads and failover rounds on one cluster. */
const mainPhases = (options: BenchOptions, config: TroupeConfig, binDir: string, workDir: string, runLoad: RunLoad) =>
  Effect.scoped(Effect.gen(function*() {
    const cluster = yield* makeCluster({ binDir, workDir: path.join(workDir, "cluster"), size: 3, config })
    const leader = yield* cluster.awaitStableLeader(LEADER_WITHIN, Duration.times(config.raft.electionTimeoutMax, 2))
    console.log(`cluster up: ${cluster.addresses.join(", ")}; leader ${leader}`)
    const load = { address: leader, connections: options.connections, threads: options.threads, durationS: options.durationS }
    if (options.warmupS > 0) {
      yield* runLoad({ ...load, durationS: options.warmupS, mode: "write", readPath: "/" })
      console.log(`warm-up done: ${options.warmupS} s of writes, not measured`)
    }
    const fsyncsBefore = yield* Effect.promise(() => fetchCounter(leader, "troupe_fsync_batches_total", METRICS_TIMEOUT_MS))
    const writes = yield* measuredLoad(cluster, leader, runLoad, { ...load, mode: "write", readPath: "/" })
    const fsyncsAfter = yield* Effect.promise(() => fetchCounter(leader, "troupe_fsync_batches_total", METRICS_TIMEOUT_MS))
    console.log(`writes done: ${writes.load.perSecond.toFixed(0)}/s`)
    const readPath = yield* prepareReadKey(leader)
    const reads = yield* measuredLoad(cluster, leader, runLoad, { ...load, mode: "read", readPath })
    console.log(`reads done: ${reads.load.perSecond.toFixed(0)}/s`)
    const failovers: Array<FailoverResult> = []
    for (let round = 1; round <= options.failoverRounds; round++) {
      const result = yield* failoverRound(cluster, config, round)
      console.log(`failover ${round}/${options.failoverRounds}: ${result.ms.toFixed(0)} ms (write attempts: ${JSON.stringify(result.outcomes)})`)
      failovers.push(result)
    }
    return { writes, reads, failovers, leaderFsyncs: fsyncsAfter - fsyncsBefore }
  }))

const baselinePhase = (options: BenchOptions, runLoad: RunLoad): Effect.Effect<MeasuredLoad, BenchError> =>
  Effect.scoped(Effect.gen(function*() {
    const { address, pid } = yield* startBaseline
    const spec = { address, mode: "read", readPath: "/k", connections: options.connections, threads: options.threads, durationS: options.durationS } as const
    const { cpuMs, machine, result } = yield* withCpu([pid], runLoad(spec))
    return { load: result, serverCpuMs: cpuMs[0], followerCpuMs: undefined, allServersCpuMs: cpuMs[0], machine, leaderTraffic: undefined }
  }))

const profilePhases = (options: BenchOptions, config: TroupeConfig, binDir: string, workDir: string, runLoad: RunLoad) =>
  Effect.forEach(["write", "read"] as const, (mode) =>
    runProfiledPhase({
      mode, binDir, config, runLoad,
      workDir: path.join(workDir, `profile-${mode}`),
      load: { connections: options.connections, threads: options.threads, durationS: options.durationS },
      topFunctions: TOP_FUNCTIONS
    }).pipe(Effect.tap(() => Effect.sync(() => console.log(`profiled ${mode} phase done`)))))

const main = Effect.gen(function*() {
  const options = yield* attempt(() => parseArgs(process.argv.slice(2)))
  const config = defaultConfig()
  const workDir = yield* workFolder(options)
  const { binDir, staleWarning } = yield* attempt(() => snapshotBinary(REPO_ROOT, workDir))
  if (staleWarning !== undefined) console.log(staleWarning)
  const generator = yield* attempt(() => chooseLoadGenerator(options, workDir))
  console.log(`load generator: ${generator.tool === "wrk" ? "wrk (Debian package)" : "Node http.Agent in child processes (no wrk, or --loadgen node)"}; ` +
    `${options.threads} threads, ${options.connections} connections, ${options.durationS} s per phase; work dir ${workDir}`)
  const fsync = probeFsync(workDir)
  const clusterResults = yield* mainPhases(options, config, binDir, workDir, generator.run)
  const baseline = options.baseline ? yield* baselinePhase(options, generator.run) : undefined
  const profiles: ReadonlyArray<ProfiledPhase> = options.profile
    ? yield* profilePhases(options, config, binDir, workDir, generator.run)
    : []
  const report: Report = {
    tool: generator.tool, options, fsync, ...clusterResults, baseline, profiles,
    machine: { cpus: os.cpus().length, loadAverage: os.loadavg(), node: process.version }
  }
  console.log(formatReport(report))
})

const fiber = Effect.runFork(Effect.scoped(main))
// Ctrl+C or a kill must still stop every node and generator the bench started (scope finalizers).
for (const signal of ["SIGINT", "SIGTERM"] as const) process.once(signal, () => Effect.runFork(Fiber.interrupt(fiber)))
fiber.addObserver((exit) => {
  if (Exit.isSuccess(exit)) return
  const error = Cause.isInterruptedOnly(exit.cause) ? "interrupted" : Cause.squash(exit.cause)
  console.error(error instanceof Error ? error.message : String(error))
  process.exitCode = 1
})
