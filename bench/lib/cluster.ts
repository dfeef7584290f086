/**
 * A local troupe cluster for benchmarks: one `troupe node` process per member on 127.0.0.N
 * (same port number), data and logs in a work folder. Nodes can be SIGKILLed and restarted on
 * the same data; closing the scope stops every node still running (SIGTERM, then SIGKILL).
 */
import * as fs from "node:fs"
import * as path from "node:path"
import { Duration, Effect, type Scope } from "effect"
import type { TroupeConfig } from "../../config/schema.js"
import { BenchError } from "./errors.js"
import { fetchStatus, type NodeStatus } from "./http-probe.js"
import { makeNodeProcesses } from "./node-processes.js"
import { findFreePort } from "./ports.js"

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
const STATUS_TIMEOUT_MS = 250
/** Beyond the node's own shutdown grace: time to exit and flush a CPU profile. */
const EXIT_SLACK = Duration.seconds(10)

/** The leader every polled member names, if that member itself says it leads. */
const agreedLeader = (statuses: ReadonlyMap<string, NodeStatus | undefined>): string | undefined => {
  const all = [...statuses.values()]
  const leader = all[0]?.leader
  if (leader === undefined || leader === null) return undefined
  if (!all.every((status) => status !== undefined && status.leader === leader)) return undefined
  return statuses.get(leader)?.role === "leader" ? leader : undefined
}

/** Leader polling over whichever members are running. */
const leaderWatch = (addresses: ReadonlyArray<string>, running: () => ReadonlyArray<number>, workDir: string) => {
  const pollLeader = Effect.promise(async () => {
    const live = running().map((index) => addresses[index - 1]!)
    const statuses = await Promise.all(live.map((address) => fetchStatus(address, STATUS_TIMEOUT_MS)))
    return agreedLeader(new Map(live.map((address, i) => [address, statuses[i]])))
  })

  const awaitLeader = (within: Duration.Duration) =>
    Effect.gen(function*() {
      // Bounded by the timeout below.
      for (;;) {
        const leader = yield* pollLeader
        if (leader !== undefined) return leader
        yield* Effect.sleep(POLL_EVERY)
      }
    }).pipe(Effect.timeoutFail({
      duration: within,
      onTimeout: () => new BenchError({ reason: `no agreed leader within ${Duration.format(within)} (running: ${running().join(",")}; logs in ${workDir})` })
    }))

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

  return { awaitLeader, awaitStableLeader }
}

export const makeCluster = (options: ClusterOptions): Effect.Effect<Cluster, BenchError, Scope.Scope> =>
  Effect.gen(function*() {
    const hosts = Array.from({ length: options.size }, (_, i) => `127.0.0.${i + 1}`)
    const port = yield* findFreePort(hosts)
    const addresses = hosts.map((host) => `${host}:${port}`)
    const serversFile = path.join(options.workDir, "servers.txt")
    fs.mkdirSync(options.workDir, { recursive: true })
    fs.writeFileSync(serversFile, addresses.join("\n") + "\n")
    const nodes = makeNodeProcesses({ ...options, serversFile })
    yield* Effect.addFinalizer(() => nodes.stopAll(Duration.sum(options.config.runtime.shutdownGrace, EXIT_SLACK)))
    yield* Effect.forEach(addresses, (_, i) => nodes.start(i + 1), { discard: true })
    return {
      addresses,
      indexOf: (address: string) => addresses.indexOf(address) + 1,
      ...nodes,
      ...leaderWatch(addresses, nodes.running, options.workDir)
    } satisfies Cluster
  })
