/**
 * One nemesis run end to end: start the nodes, run the clients while the faults happen, stop,
 * check the history, write history.jsonl, summary.json, timeline.svg and report.txt into the
 * output folder, and answer with the report and the exit code (0 only for linearizable: yes).
 * Everything it starts (processes, iptables rules, temp data) is undone when its scope closes.
 */
import * as crypto from "node:crypto"
import * as fs from "node:fs"
import * as os from "node:os"
import * as path from "node:path"
import { Effect, type Scope } from "effect"
import type { TroupeConfig } from "../../config/schema.js"
import { checkHistory, type CheckResult, exitCodeOf } from "../check/checker.js"
import { Prng } from "../sim/random.js"
import { errorCounts, type ExecutedFault, faultImpacts, operationLatencies } from "./analysis.js"
import { cliClientLoop } from "./cli-clients.js"
import { runFault } from "./faults.js"
import { setUpFirewall } from "./firewall.js"
import { type ClientContext, httpClientLoop } from "./http-clients.js"
import { startProcessCluster } from "../process/cluster.js"
import { makeRecorder, type RunRecorder } from "./recorder.js"
import { planFaults } from "./schedule.js"
import type { NemesisSettings } from "./settings.js"
import { formatNemesisReport, type NemesisSummary } from "./summary.js"
import { renderTimeline } from "./timeline-svg.js"

export interface NemesisRunOptions {
  readonly settings: NemesisSettings
  readonly config: TroupeConfig
  /** Folder holding troupe.mjs and troupe-client.mjs. */
  readonly binDir: string
  readonly outDir: string
  /** Progress lines (fault started, healed, ...). */
  readonly log: (line: string) => Effect.Effect<void>
  /** May the run `apt-get install iptables` when it is missing (root only)? */
  readonly installIptables: boolean
}

export interface NemesisOutcome {
  readonly exitCode: 0 | 1 | 2
  readonly report: string
  readonly summary: NemesisSummary
  readonly check: CheckResult
}

const maxOperations = 1_000_000
const maxAttempts = 2_000_000

/** Nodes on 127.0.X.1..N with X picked per run, clients from 127.0.X.250: all loopback. */
const loopbackAddresses = (nodes: number) => {
  const subnet = 100 + crypto.randomInt(100)
  return {
    hosts: Array.from({ length: nodes }, (_, i) => `127.0.${subnet}.${i + 1}`),
    clientAddress: `127.0.${subnet}.250`
  }
}

const tempFolder = Effect.acquireRelease(
  Effect.sync(() => fs.mkdtempSync(path.join(os.tmpdir(), "troupe-nemesis-"))),
  (folder) => Effect.sync(() => fs.rmSync(folder, { recursive: true, force: true }))
)

const writeOutputs = (outDir: string, files: Record<string, string>) =>
  Effect.sync(() => {
    for (const [name, text] of Object.entries(files)) fs.writeFileSync(path.join(outDir, name), text)
  })

export const runNemesis = (options: NemesisRunOptions): Effect.Effect<NemesisOutcome, Error, Scope.Scope> =>
  Effect.gen(function*() {
    const { settings, config } = options
    fs.mkdirSync(path.join(options.outDir, "nodes"), { recursive: true })
    const workDir = yield* tempFolder
    const { hosts, clientAddress } = loopbackAddresses(settings.nodes)
    const partitions = settings.faults.includes("partition")
      ? yield* setUpFirewall({ probeHost: hosts[0]!, installIfMissing: options.installIptables })
      : { _tag: "unavailable" as const, reason: "not requested" }
    yield* options.log(partitions._tag === "ready" ? `partitions: iptables (${partitions.note})` : `partitions skipped: ${partitions.reason}`)
    const env = { ...process.env, TROUPE_SECRET: crypto.randomBytes(18).toString("base64url") }
    const cluster = yield* startProcessCluster({
      hosts, binDir: options.binDir, workDir, env, logDir: path.join(options.outDir, "nodes"),
      maxLogBytes: settings.maxNodeLogBytes, startupTimeoutMs: settings.startupTimeoutMs, statusTimeout: config.client.requestTimeout
    })
    yield* options.log(`cluster up: ${cluster.nodes.map((node) => node.id).join(", ")}`)

    const recorder = yield* makeRecorder(maxOperations, maxAttempts)
    const prng = new Prng(settings.seed)
    const context: ClientContext = {
      nodes: cluster.nodes, keys: settings.keys, maxThinkMs: settings.maxThinkMs,
      operationDeadlineMs: settings.operationDeadlineMs, requestTimeout: config.client.requestTimeout,
      retryBase: config.client.retryBase, recorder, runId: crypto.randomBytes(6).toString("base64url")
    }
    const clients = [
      ...Array.from({ length: settings.httpClients }, (_, i) =>
        httpClientLoop(context, `h${i + 1}`, prng.fork(`h${i + 1}`), clientAddress, settings.durationMs)),
      ...Array.from({ length: settings.cliClients }, (_, i) =>
        cliClientLoop(context, { binDir: options.binDir, env }, `cli${i + 1}`, prng.fork(`cli${i + 1}`), settings.durationMs))
    ]
    const faultContext = {
      cluster, recorder, statusTimeout: config.client.requestTimeout,
      firewall: partitions._tag === "ready" ? partitions.firewall : undefined,
      partitionUnavailable: partitions._tag === "ready" ? "" : partitions.reason
    }
    const nemesis = Effect.forEach(planFaults(settings), (planned) =>
      Effect.tap(runFault(faultContext, planned), (fault) =>
        options.log(fault.skipped === undefined
          ? `fault #${fault.id} ${fault.kind} ${fault.node}: ${Math.round(fault.startMs)}-${Math.round(fault.endMs)} ms`
          : `fault #${fault.id} ${fault.kind} skipped: ${fault.skipped}`)))
    const [, faults] = yield* Effect.all([Effect.all(clients, { concurrency: "unbounded" }), nemesis], { concurrency: "unbounded" })
    const runEndMs = yield* recorder.now
    yield* cluster.killAll
    yield* options.log(`workload done: ${recorder.operations.length} operations; checking`)
    return yield* finish(options, { cluster: cluster.nodes.map((node) => node.id), faults, recorder, runEndMs, partitions })
  })

const finish = (
  options: NemesisRunOptions,
  run: {
    readonly cluster: ReadonlyArray<string>
    readonly faults: ReadonlyArray<ExecutedFault>
    readonly recorder: RunRecorder
    readonly runEndMs: number
    readonly partitions: { readonly _tag: "ready"; readonly note: string } | { readonly _tag: "unavailable"; readonly reason: string }
  }
) =>
  Effect.gen(function*() {
    const { settings } = options
    const operations = run.recorder.operations
    const check = checkHistory(operations)
    const httpAttempts = run.recorder.attempts.attempts.filter((attempt) => attempt.node !== "cli")
    const files = {
      history: path.join(options.outDir, "history.jsonl"),
      summary: path.join(options.outDir, "summary.json"),
      timeline: path.join(options.outDir, "timeline.svg"),
      report: path.join(options.outDir, "report.txt"),
      nodeLogs: path.join(options.outDir, "nodes")
    }
    const summary: NemesisSummary = {
      settings,
      nodes: run.cluster,
      partitions: run.partitions._tag === "ready"
        ? { available: true, note: run.partitions.note }
        : { available: false, note: run.partitions.reason },
      impacts: faultImpacts(run.faults, httpAttempts, run.runEndMs, settings.stallMs),
      latencyMs: { read: operationLatencies(operations, "get"), write: operationLatencies(operations, "put") },
      errors: errorCounts(run.recorder.attempts.attempts, operations),
      malformedAnswers: run.recorder.malformedAnswers,
      attemptsNotStored: run.recorder.attempts.dropped,
      historyFull: run.recorder.full,
      check: { verdict: check.verdict, staleReads: check.staleReads, operations: check.operations, keys: check.perKey.length },
      files
    }
    const report = formatNemesisReport(summary, check)
    const violations = new Set(check.witness === undefined ? [] : [
      ...check.witness.blocked.map((op) => op.index),
      ...check.witness.prefixTail.slice(-1).map((op) => op.index)
    ])
    const timeline = renderTimeline({
      operations, faults: run.faults, violations, durationMs: run.runEndMs,
      title: `troupe nemesis, seed ${settings.seed}: linearizable ${check.verdict}`
    })
    yield* writeOutputs(options.outDir, {
      "history.jsonl": operations.map((op) => JSON.stringify(op)).join("\n") + "\n",
      "summary.json": JSON.stringify({ ...summary, witness: check.witness ?? null }, null, 2) + "\n",
      "timeline.svg": timeline,
      "report.txt": report + "\n"
    })
    return { exitCode: exitCodeOf(check.verdict), report, summary, check }
  })
