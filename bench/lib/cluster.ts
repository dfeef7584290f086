/**
 * A local troupe cluster for benchmarks, on src/process/cluster.ts: one `troupe node` process
 * per member on 127.0.0.N (same port number), data and logs (n<N>.log) in a work folder, by
 * 1-based member index. Nodes can be SIGKILLed and restarted on the same data; closing the scope
 * stops every node still running (SIGTERM, then SIGKILL), so CPU profiles get written.
 */
import * as fs from "node:fs"
import { Duration, Effect, type Scope } from "effect"
import type { TroupeConfig } from "../../config/schema.js"
import { type ProcessCluster, startProcessCluster } from "../../src/process/cluster.js"
import { BenchError } from "./errors.js"

export interface ClusterOptions {
  /** Folder holding troupe.mjs (a snapshot of dist/bin). */
  readonly binDir: string
  readonly workDir: string
  readonly size: number
  readonly config: TroupeConfig
  /** Extra node flags for member `index` (1-based), e.g. --cpu-prof. */
  readonly nodeFlags?: (index: number) => ReadonlyArray<string>
}

export interface Cluster {
  readonly addresses: ReadonlyArray<string>
  /** 1-based member index of an address. */
  readonly indexOf: (address: string) => number
  readonly start: (index: number) => Effect.Effect<void>
  /** Sends `signal` and waits for the exit. */
  readonly kill: (index: number, signal: NodeJS.Signals) => Effect.Effect<void>
  readonly running: () => ReadonlyArray<number>
  /** The OS process id of member `index` while it runs. */
  readonly pid: (index: number) => number | undefined
  /** Polls until every running member names the same leader, which says it leads. */
  readonly awaitLeader: (within: Duration.Duration) => Effect.Effect<string, BenchError>
  /** Like awaitLeader, then keeps polling until that leader held for `holdFor` without change. */
  readonly awaitStableLeader: (within: Duration.Duration, holdFor: Duration.Duration) => Effect.Effect<string, BenchError>
}

const POLL_EVERY = Duration.millis(25)
const STATUS_TIMEOUT = Duration.millis(250)
const START_WITHIN = Duration.seconds(20)
/** Beyond the node's own shutdown grace: time to exit and flush a CPU profile. */
const EXIT_SLACK = Duration.seconds(10)
/** A killed node's exit; only a bound on a wait that should take milliseconds. */
const EXIT_WITHIN = Duration.seconds(30)

const benchApi = (cluster: ProcessCluster, workDir: string): Cluster => {
  const addresses = cluster.nodes.map((node) => node.id)
  const running = () => cluster.nodes.filter((node) => cluster.isRunning(node.index)).map((node) => node.index + 1)

  const awaitLeader = (within: Duration.Duration) =>
    cluster.awaitLeader(within, { agreement: "every running node" }).pipe(
      Effect.map((leader) => leader.id),
      Effect.mapError(() => new BenchError({
        reason: `no agreed leader within ${Duration.format(within)} (running: ${running().join(",")}; logs in ${workDir})`
      }))
    )

  const awaitStableLeader = (within: Duration.Duration, holdFor: Duration.Duration) =>
    Effect.gen(function*() {
      let leader = yield* awaitLeader(within)
      let since = Date.now()
      while (Date.now() - since < Duration.toMillis(holdFor)) {
        yield* Effect.sleep(POLL_EVERY)
        const now = yield* awaitLeader(within)
        if (now !== leader) [leader, since] = [now, Date.now()]
      }
      return leader
    }).pipe(Effect.timeoutFail({
      duration: Duration.sum(within, holdFor),
      onTimeout: () => new BenchError({ reason: `leader did not settle within ${Duration.format(Duration.sum(within, holdFor))}` })
    }))

  return {
    addresses,
    indexOf: (address) => addresses.indexOf(address) + 1,
    start: (index) => cluster.start(index - 1),
    kill: (index, signal) => Effect.zipRight(cluster.signal(index - 1, signal), Effect.asVoid(cluster.awaitExit(index - 1, EXIT_WITHIN))),
    running,
    pid: (index) => cluster.pid(index - 1),
    awaitLeader,
    awaitStableLeader
  }
}

export const makeCluster = (options: ClusterOptions): Effect.Effect<Cluster, BenchError, Scope.Scope> =>
  Effect.gen(function*() {
    fs.mkdirSync(options.workDir, { recursive: true })
    const { nodeFlags } = options
    const cluster = yield* startProcessCluster({
      hosts: Array.from({ length: options.size }, (_, i) => `127.0.0.${i + 1}`),
      binDir: options.binDir,
      workDir: options.workDir,
      env: process.env,
      logDir: options.workDir,
      launch: nodeFlags === undefined ? undefined : (index) => ({ nodeFlags: nodeFlags(index + 1) }),
      startupTimeoutMs: Duration.toMillis(START_WITHIN),
      statusTimeout: STATUS_TIMEOUT,
      stopGrace: Duration.sum(options.config.runtime.shutdownGrace, EXIT_SLACK)
    }).pipe(Effect.mapError((error) => new BenchError({ reason: `${error.message} (logs in ${options.workDir})` })))
    return benchApi(cluster, options.workDir)
  })
