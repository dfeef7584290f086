/**
 * Real `troupe node` processes on loopback addresses, one per node, sharing one port number
 * and one servers file; each keeps its data folder across restarts. This is the one place that
 * spawns nodes: the nemesis, the real-process tests and the benchmarks all start them here.
 * Everything it spawned is stopped when its scope closes.
 */
import * as childProcess from "node:child_process"
import * as fs from "node:fs"
import * as path from "node:path"
import { Data, Duration, Effect, type Scope } from "effect"
import { httpGet } from "../client/http-get.js"
import { NODE_V8_FLAGS } from "../runtime/node-flags.js"
import { pickFreePort } from "./free-port.js"
import { type LeaderWait, NoLeader, pollForLeader } from "./leader.js"

export { type LeaderWait, NoLeader } from "./leader.js"

export interface NodeAddress {
  readonly index: number
  readonly host: string
  readonly port: number
  /** host:port, the node's id in the cluster. */
  readonly id: string
}

export interface NodeStatus {
  readonly id: string
  readonly role: string
  readonly term: number
  readonly leader: string | null
}

/** How one node runs; the same on every restart of that node. */
export interface NodeLaunch {
  /** "deno" runs troupe-deno.mjs, a Node wrapper that runs the same troupe.mjs under Deno. */
  readonly runtime?: "node" | "deno"
  /** Written to <workDir>/config-<N>.json and passed with --config. */
  readonly config?: object
  /** Flags for the spawned Node process, before the script (e.g. --cpu-prof). */
  readonly nodeFlags?: ReadonlyArray<string>
}

export interface ProcessClusterOptions {
  readonly hosts: ReadonlyArray<string>
  /** Folder with troupe.mjs, and troupe-deno.mjs for Deno nodes (the built bin). */
  readonly binDir: string
  /** Holds servers.txt, config files and one data folder per node; the nodes' working folder. */
  readonly workDir: string
  readonly env: NodeJS.ProcessEnv
  /** Per node (0-based index); plain Node with the default config when absent. */
  readonly launch?: ((index: number) => NodeLaunch) | undefined
  /** Node output goes to <logDir>/n<N>.log when set, else only into a small in-memory tail. */
  readonly logDir?: string | undefined
  /** Cap per log file; unbounded when absent. */
  readonly maxLogBytes?: number | undefined
  /**
   * false: start every node and return at once, for tests that watch the election themselves.
   * A taken port is then not retried: it only shows while waiting for the leader.
   */
  readonly waitForLeader?: boolean | undefined
  readonly startupTimeoutMs: number
  readonly statusTimeout: Duration.DurationInput
  /**
   * When the scope closes: SIGTERM, then this long to exit (a graceful shutdown, a CPU profile
   * written) before SIGKILL. Absent: SIGKILL at once.
   */
  readonly stopGrace?: Duration.DurationInput | undefined
}

export class ClusterStartFailed extends Data.TaggedError("ClusterStartFailed")<{ readonly reason: string }> {
  override get message(): string {
    return this.reason
  }
}

export type ExitStatus = { readonly code: number | null; readonly signal: string | null }

export interface ProcessCluster {
  readonly nodes: ReadonlyArray<NodeAddress>
  readonly port: number
  readonly serversFile: string
  /** Starts node i (0-based) if it is not running. */
  readonly start: (index: number) => Effect.Effect<void>
  readonly signal: (index: number, signal: NodeJS.Signals) => Effect.Effect<void>
  readonly isRunning: (index: number) => boolean
  /** The OS process id of node i while it runs. */
  readonly pid: (index: number) => number | undefined
  /** Waits for node i's process to exit: its exit code or signal, or undefined after the timeout. */
  readonly awaitExit: (index: number, timeout: Duration.DurationInput) => Effect.Effect<ExitStatus | undefined>
  readonly status: (index: number) => Effect.Effect<NodeStatus | undefined>
  /** The node that is leader by its own /status and by the agreement asked for; fails after the timeout. */
  readonly awaitLeader: (timeout: Duration.DurationInput, wait?: LeaderWait) => Effect.Effect<NodeAddress, NoLeader>
  readonly outputTail: (index: number) => ReadonlyArray<string>
  /** SIGTERM, then SIGKILL if node i is still running after `grace` (at once for a zero grace). */
  readonly stop: (index: number, grace: Duration.DurationInput) => Effect.Effect<void>
  /** `stop` of every running node, all at the same time. */
  readonly stopAll: (grace: Duration.DurationInput) => Effect.Effect<void>
  /** SIGKILL to every running node, then waits for the exits. */
  readonly killAll: Effect.Effect<void>
}

const tailLines = 200
const startTries = 3
/** A SIGKILLed process is gone within milliseconds; this only bounds a wait that should never be long. */
const killWait = Duration.seconds(5)

/** One node's process slot: the current child (if any) and a bounded output sink. */
class NodeSlot {
  child: childProcess.ChildProcess | undefined
  readonly tail: Array<string> = []
  loggedBytes = 0
  constructor(public logFile: string | undefined, readonly maxLogBytes: number) {}

  record(text: string): void {
    for (const line of text.split("\n")) {
      if (line === "") continue
      this.tail.push(line)
      if (this.tail.length > tailLines) this.tail.shift()
    }
    if (this.logFile === undefined || this.loggedBytes >= this.maxLogBytes) return
    const room = this.maxLogBytes - this.loggedBytes
    const chunk = text.length <= room ? text : `${text.slice(0, room)}\n[log cut at ${this.maxLogBytes} bytes]\n`
    this.loggedBytes += chunk.length
    try {
      fs.appendFileSync(this.logFile, chunk)
    } catch (error) {
      // A log folder removed under a running node (or a full disk) must not crash the harness.
      this.tail.push(`[log file ${this.logFile} dropped: ${String(error)}]`)
      this.logFile = undefined
    }
  }

  get running(): boolean {
    return this.child !== undefined && this.child.exitCode === null && this.child.signalCode === null
  }
}

const decodeStatus = (body: string): NodeStatus | undefined => {
  try {
    const json = JSON.parse(body) as Partial<NodeStatus>
    return typeof json.role === "string" && typeof json.term === "number" && typeof json.id === "string"
      ? { id: json.id, role: json.role, term: json.term, leader: typeof json.leader === "string" ? json.leader : null }
      : undefined
  } catch {
    return undefined
  }
}

const dataFolder = (workDir: string, index: number) => path.join(workDir, `data-${index + 1}`)

/** The spawn arguments of node i; writes its config file when it has one. */
const commandLine = (options: ProcessClusterOptions, serversFile: string, index: number): Array<string> => {
  const launch = options.launch?.(index) ?? {}
  const script = path.join(options.binDir, launch.runtime === "deno" ? "troupe-deno.mjs" : "troupe.mjs")
  const args = [...NODE_V8_FLAGS, ...(launch.nodeFlags ?? []), script, "node", "--servers", serversFile, "--self", String(index + 1),
    "--data", dataFolder(options.workDir, index)]
  if (launch.config !== undefined) {
    const configFile = path.join(options.workDir, `config-${index + 1}.json`)
    fs.writeFileSync(configFile, JSON.stringify(launch.config))
    args.push("--config", configFile)
  }
  return args
}

/** Spawns one node with its output going into the slot (tail and log file). */
const spawnNode = (options: ProcessClusterOptions, args: ReadonlyArray<string>, slot: NodeSlot) => {
  // The work folder as cwd: whatever a node writes to a relative path (a --cpu-prof profile
  // without a dir) lands next to its data, not in the caller's folder.
  const child = childProcess.spawn(process.execPath, args, { env: options.env, cwd: options.workDir, stdio: ["ignore", "pipe", "pipe"] })
  slot.record(`--- started pid ${child.pid ?? "?"} ---\n`)
  child.stdout.on("data", (chunk: Buffer) => slot.record(chunk.toString("utf8")))
  child.stderr.on("data", (chunk: Buffer) => slot.record(chunk.toString("utf8")))
  child.once("exit", (code, signal) => slot.record(`--- exited ${signal ?? `code ${code}`} ---\n`))
  child.once("error", (error) => slot.record(`--- spawn error: ${error.message} ---\n`))
  return child
}

/** The child's exit code or signal, or undefined when it has not exited within the timeout. */
const childExit = (child: childProcess.ChildProcess, timeout: Duration.DurationInput) =>
  Effect.async<ExitStatus>((resume) => {
    if (child.exitCode !== null || child.signalCode !== null) {
      return resume(Effect.succeed({ code: child.exitCode, signal: child.signalCode }))
    }
    const onExit = (code: number | null, signal: string | null) => resume(Effect.succeed({ code, signal }))
    child.once("exit", onExit)
    return Effect.sync(() => child.off("exit", onExit))
  }).pipe(Effect.timeout(timeout), Effect.option, Effect.map((exit) => exit._tag === "Some" ? exit.value : undefined))

const makeCluster = (options: ProcessClusterOptions, port: number): ProcessCluster => {
  const nodes = options.hosts.map((host, index) => ({ index, host, port, id: `${host}:${port}` }))
  const serversFile = path.join(options.workDir, "servers.txt")
  fs.writeFileSync(serversFile, nodes.map((node) => node.id).join("\n") + "\n")
  const commandLines = nodes.map((node) => commandLine(options, serversFile, node.index))
  const slots = nodes.map((node) => new NodeSlot(
    options.logDir === undefined ? undefined : path.join(options.logDir, `n${node.index + 1}.log`),
    options.maxLogBytes ?? Number.POSITIVE_INFINITY
  ))

  const start = (index: number) => Effect.sync(() => {
    const slot = slots[index]!
    if (!slot.running) slot.child = spawnNode(options, commandLines[index]!, slot)
  })

  const signal = (index: number, name: NodeJS.Signals) => Effect.sync(() => {
    const slot = slots[index]!
    if (slot.running) slot.child!.kill(name)
  })

  const awaitExit = (index: number, timeout: Duration.DurationInput) => {
    const child = slots[index]!.child
    return child === undefined ? Effect.succeed(undefined) : childExit(child, timeout)
  }

  const stop = (index: number, grace: Duration.DurationInput): Effect.Effect<void> =>
    Effect.suspend(() => {
      if (!slots[index]!.running) return Effect.void
      // SIGKILL works on a SIGSTOPped process too, where SIGTERM would wait for a SIGCONT.
      const kill = Effect.zipRight(signal(index, "SIGKILL"), awaitExit(index, killWait))
      if (Duration.toMillis(Duration.decode(grace)) <= 0) return Effect.asVoid(kill)
      return Effect.zipRight(signal(index, "SIGTERM"), awaitExit(index, grace)).pipe(
        Effect.flatMap((exit) => exit === undefined ? Effect.asVoid(kill) : Effect.void)
      )
    })

  const stopAll = (grace: Duration.DurationInput) =>
    Effect.forEach(nodes, (node) => stop(node.index, grace), { concurrency: "unbounded", discard: true })

  const status = (index: number) =>
    httpGet(nodes[index]!, "/status", { timeout: options.statusTimeout }).pipe(
      Effect.map((answer) => answer.status === 200 ? decodeStatus(answer.body) : undefined),
      Effect.orElseSucceed(() => undefined)
    )

  const isRunning = (index: number) => slots[index]?.running ?? false

  return {
    nodes, port, serversFile, start, signal, awaitExit, status, stop, stopAll, isRunning,
    killAll: stopAll(Duration.zero),
    awaitLeader: (timeout, wait = {}) => pollForLeader({ nodes, status, isRunning }, timeout, wait),
    pid: (index) => isRunning(index) ? slots[index]!.child!.pid : undefined,
    outputTail: (index) => [...(slots[index]?.tail ?? [])]
  }
}

const addressInUse = (cluster: ProcessCluster) =>
  cluster.nodes.some((node) => cluster.outputTail(node.index).some((line) => line.includes("EADDRINUSE")))

const lastOutput = (cluster: ProcessCluster) =>
  cluster.nodes.map((node) => `  n${node.index + 1}: ${cluster.outputTail(node.index).slice(-3).join(" | ")}`).join("\n")

/**
 * Starts every node and (unless told not to) waits for a leader. A port someone took in the
 * meantime (EADDRINUSE) means a fresh port and a fresh start, up to a few times.
 */
export const startProcessCluster = (
  options: ProcessClusterOptions
): Effect.Effect<ProcessCluster, ClusterStartFailed, Scope.Scope> =>
  Effect.gen(function*() {
    let lastProblem = "not started"
    for (let attempt = 1; attempt <= startTries; attempt++) {
      const port = yield* pickFreePort(options.hosts).pipe(
        Effect.mapError((error) => new ClusterStartFailed({ reason: error.message }))
      )
      const cluster = yield* Effect.acquireRelease(
        Effect.sync(() => makeCluster(options, port)),
        (c) => c.stopAll(options.stopGrace ?? Duration.zero)
      )
      yield* Effect.forEach(cluster.nodes, (node) => cluster.start(node.index), { discard: true })
      if (options.waitForLeader === false) return cluster
      const leader = yield* Effect.either(cluster.awaitLeader(Duration.millis(options.startupTimeoutMs)))
      if (leader._tag === "Right") return cluster
      const inUse = addressInUse(cluster)
      lastProblem = `${leader.left.message}; last output:\n${lastOutput(cluster)}`
      yield* cluster.killAll
      if (!inUse) break
      // The data of the failed start names members on the old port.
      for (const node of cluster.nodes) fs.rmSync(dataFolder(options.workDir, node.index), { recursive: true, force: true })
    }
    return yield* new ClusterStartFailed({ reason: `cluster did not start: ${lastProblem}` })
  })
