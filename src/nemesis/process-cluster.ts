/**
 * Real `troupe node` processes on loopback addresses, one per node, sharing one port number
 * and one servers file; each keeps its data folder across restarts. Used by the nemesis and
 * by the real-process tests. Everything it spawned is killed when its scope closes.
 */
import * as childProcess from "node:child_process"
import * as fs from "node:fs"
import * as path from "node:path"
import { Data, Duration, Effect, type Scope } from "effect"
import { httpGet } from "../client/http-get.js"
import { pickFreePort } from "./free-port.js"

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

export interface ProcessClusterOptions {
  readonly hosts: ReadonlyArray<string>
  /** Folder with troupe.mjs (the built bin). */
  readonly binDir: string
  /** Holds servers.txt and one data folder per node. */
  readonly workDir: string
  readonly env: NodeJS.ProcessEnv
  /** Node output goes to <logDir>/n<N>.log when set, else only into a small in-memory tail. */
  readonly logDir?: string | undefined
  readonly maxLogBytes: number
  readonly startupTimeoutMs: number
  readonly statusTimeout: Duration.DurationInput
}

export class ClusterStartFailed extends Data.TaggedError("ClusterStartFailed")<{ readonly reason: string }> {
  override get message(): string {
    return this.reason
  }
}

const tailLines = 200
const startTries = 3

/** One node's process slot: the current child (if any) and a bounded output sink. */
class NodeSlot {
  child: childProcess.ChildProcess | undefined
  readonly tail: Array<string> = []
  loggedBytes = 0
  constructor(readonly address: NodeAddress, readonly logFile: string | undefined, readonly maxLogBytes: number) {}

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
    fs.appendFileSync(this.logFile, chunk)
  }

  get running(): boolean {
    return this.child !== undefined && this.child.exitCode === null && this.child.signalCode === null
  }
}

export interface ProcessCluster {
  readonly nodes: ReadonlyArray<NodeAddress>
  readonly port: number
  readonly serversFile: string
  /** Starts node i (0-based) if it is not running. */
  readonly start: (index: number) => Effect.Effect<void>
  readonly signal: (index: number, signal: NodeJS.Signals) => Effect.Effect<void>
  readonly isRunning: (index: number) => boolean
  readonly pid: (index: number) => number | undefined
  /** Waits for node i's process to exit: its exit code or signal, or undefined after the timeout. */
  readonly awaitExit: (index: number, timeout: Duration.DurationInput) => Effect.Effect<{ code: number | null; signal: string | null } | undefined>
  readonly status: (index: number) => Effect.Effect<NodeStatus | undefined>
  /** The node that is leader by its own /status and by a majority's; fails after the timeout. */
  readonly awaitLeader: (timeout: Duration.DurationInput, exclude?: ReadonlyArray<number>) => Effect.Effect<NodeAddress, ClusterStartFailed>
  readonly outputTail: (index: number) => ReadonlyArray<string>
  readonly killAll: Effect.Effect<void>
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

/** Polls every 20 ms until a node is leader by its own /status and a majority agrees; bounded by the timeout. */
const pollForLeader = (
  nodes: ReadonlyArray<NodeAddress>,
  status: (index: number) => Effect.Effect<NodeStatus | undefined>,
  timeout: Duration.DurationInput,
  exclude: ReadonlyArray<number>
) =>
  Effect.gen(function*() {
    const candidates = nodes.filter((node) => !exclude.includes(node.index))
    const majority = Math.floor(nodes.length / 2) + 1
    for (;;) {
      const statuses = yield* Effect.forEach(candidates, (node) => status(node.index), { concurrency: "unbounded" })
      const leader = statuses.find((s) => s?.role === "leader")
      const agreeing = statuses.filter((s) => leader !== undefined && s?.leader === leader.id && s.term === leader.term)
      const found = leader === undefined ? undefined : nodes.find((node) => node.id === leader.id)
      if (found !== undefined && agreeing.length >= Math.min(majority, candidates.length)) return found
      yield* Effect.sleep("20 millis")
    }
  }).pipe(
    Effect.timeoutFail({
      duration: timeout,
      onTimeout: () => new ClusterStartFailed({ reason: `no leader within ${Duration.format(Duration.decode(timeout))}` })
    })
  )

const makeCluster = (options: ProcessClusterOptions, port: number): ProcessCluster => {
  const nodes = options.hosts.map((host, index) => ({ index, host, port, id: `${host}:${port}` }))
  const serversFile = path.join(options.workDir, "servers.txt")
  fs.writeFileSync(serversFile, nodes.map((node) => node.id).join("\n") + "\n")
  const slots = nodes.map((node) =>
    new NodeSlot(node, options.logDir === undefined ? undefined : path.join(options.logDir, `n${node.index + 1}.log`), options.maxLogBytes))

  const start = (index: number) => Effect.sync(() => {
    const slot = slots[index]!
    if (slot.running) return
    const args = [path.join(options.binDir, "troupe.mjs"), "node", "--servers", serversFile, "--self", String(index + 1),
      "--data", path.join(options.workDir, `data-${index + 1}`)]
    const child = childProcess.spawn(process.execPath, args, { env: options.env, stdio: ["ignore", "pipe", "pipe"] })
    slot.record(`--- started pid ${child.pid ?? "?"} ---\n`)
    child.stdout?.on("data", (chunk: Buffer) => slot.record(chunk.toString("utf8")))
    child.stderr?.on("data", (chunk: Buffer) => slot.record(chunk.toString("utf8")))
    child.once("exit", (code, signal) => slot.record(`--- exited ${signal ?? `code ${code}`} ---\n`))
    child.once("error", (error) => slot.record(`--- spawn error: ${error.message} ---\n`))
    slot.child = child
  })

  const signal = (index: number, name: NodeJS.Signals) => Effect.sync(() => {
    const slot = slots[index]!
    if (slot.running) slot.child!.kill(name)
  })

  const awaitExit = (index: number, timeout: Duration.DurationInput) => {
    const child = slots[index]!.child
    if (child === undefined) return Effect.succeed(undefined)
    return Effect.async<{ code: number | null; signal: string | null }>((resume) => {
      if (child.exitCode !== null || child.signalCode !== null) {
        return resume(Effect.succeed({ code: child.exitCode, signal: child.signalCode }))
      }
      const onExit = (code: number | null, sig: string | null) => resume(Effect.succeed({ code, signal: sig }))
      child.once("exit", onExit)
      return Effect.sync(() => child.off("exit", onExit))
    }).pipe(Effect.timeout(timeout), Effect.option, Effect.map((exit) => exit._tag === "Some" ? exit.value : undefined))
  }

  const status = (index: number) =>
    httpGet(nodes[index]!, "/status", { timeout: options.statusTimeout }).pipe(
      Effect.map((answer) => answer.status === 200 ? decodeStatus(answer.body) : undefined),
      Effect.orElseSucceed(() => undefined)
    )

  const awaitLeader = (timeout: Duration.DurationInput, exclude: ReadonlyArray<number> = []) =>
    pollForLeader(nodes, status, timeout, exclude)

  const killAll = Effect.sync(() => {
    for (const slot of slots) {
      if (!slot.running) continue
      slot.child!.kill("SIGKILL") // works on a SIGSTOPped process too
    }
  }).pipe(Effect.zipRight(Effect.forEach(nodes, (node) => awaitExit(node.index, "5 seconds"), { discard: true })))

  return {
    nodes, port, serversFile, start, signal, awaitExit, status, awaitLeader, killAll,
    isRunning: (index) => slots[index]?.running ?? false,
    pid: (index) => slots[index]?.child?.pid,
    outputTail: (index) => [...(slots[index]?.tail ?? [])]
  }
}

const addressInUse = (cluster: ProcessCluster) =>
  cluster.nodes.some((node) => cluster.outputTail(node.index).some((line) => line.includes("EADDRINUSE")))

/**
 * Starts every node and waits for a leader. A port someone took in the meantime (EADDRINUSE)
 * means a fresh port and a fresh start, up to a few times.
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
      const cluster = yield* Effect.acquireRelease(Effect.sync(() => makeCluster(options, port)), (c) => c.killAll)
      yield* Effect.forEach(cluster.nodes, (node) => cluster.start(node.index), { discard: true })
      const leader = yield* Effect.either(cluster.awaitLeader(Duration.millis(options.startupTimeoutMs)))
      if (leader._tag === "Right") return cluster
      const inUse = addressInUse(cluster)
      lastProblem = `${leader.left.message}; last output:\n` +
        cluster.nodes.map((node) => `  n${node.index + 1}: ${cluster.outputTail(node.index).slice(-3).join(" | ")}`).join("\n")
      yield* cluster.killAll
      if (!inUse) break
    }
    return yield* new ClusterStartFailed({ reason: `cluster did not start: ${lastProblem}` })
  })
