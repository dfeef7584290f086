/**
 * Load through `wrk` (Debian package): C threads, keep-alive connections, a Lua script that
 * makes every write key distinct and prints the result as one JSON line.
 */
import * as childProcess from "node:child_process"
import * as fs from "node:fs"
import * as path from "node:path"
import { Duration, Effect } from "effect"
import { BenchError } from "./errors.js"
import { type LoadResult, type LoadSpec, MAX_GENERATOR_OUTPUT_BYTES, RESULT_MARKER, VALUE_BYTES } from "./load.js"
import { runBounded } from "./run-bounded.js"

/** wrk's own per-request timeout: a request slower than this counts as an error. */
const REQUEST_TIMEOUT_S = 5
/** Time beyond the load duration for wrk to start and print. */
const EXIT_SLACK = Duration.seconds(15)

export const wrkAvailable = (): boolean => childProcess.spawnSync("wrk", ["--version"], { stdio: "ignore" }).error === undefined

// Keys are "k" + 2-digit thread + 13-digit counter: 16 bytes (KEY_BYTES), never repeated in a run.
const luaScript = (mode: LoadSpec["mode"]) => `
local threadCount = 0
function setup(thread)
  thread:set("threadId", threadCount)
  threadCount = threadCount + 1
end
${mode === "write" ? `
local counter = 0
local value = string.rep("v", ${VALUE_BYTES})
function request()
  counter = counter + 1
  return wrk.format("GET", string.format("/k%02d%013d=%s", threadId, counter, value))
end` : ""}
function done(summary, latency, requests)
  local e = summary.errors
  io.write(string.format('${RESULT_MARKER}{"requests":%d,"durationUs":%d,"socketErrors":%d,"statusErrors":%d,"timeouts":%d,"p50Us":%d,"p99Us":%d,"maxUs":%d}\\n',
    summary.requests, summary.duration, e.connect + e.read + e.write, e.status, e.timeout,
    latency:percentile(50), latency:percentile(99), latency.max))
end
`

interface WrkSummary {
  readonly requests: number
  readonly durationUs: number
  readonly socketErrors: number
  readonly statusErrors: number
  readonly timeouts: number
  readonly p50Us: number
  readonly p99Us: number
  readonly maxUs: number
}

const toResult = (summary: WrkSummary): LoadResult => {
  const seconds = summary.durationUs / 1e6
  return {
    tool: "wrk",
    requests: summary.requests,
    seconds,
    perSecond: summary.requests / seconds,
    p50Ms: summary.p50Us / 1000,
    p99Ms: summary.p99Us / 1000,
    maxMs: summary.maxUs / 1000,
    failed: summary.socketErrors + summary.statusErrors + summary.timeouts
  }
}

export const runWrk = (spec: LoadSpec, workDir: string): Effect.Effect<LoadResult, BenchError> =>
  Effect.gen(function*() {
    const script = path.join(workDir, `wrk-${spec.mode}.lua`)
    fs.writeFileSync(script, luaScript(spec.mode))
    const url = `http://${spec.address}${spec.mode === "read" ? spec.readPath : "/"}`
    const args = ["-t", String(spec.threads), "-c", String(spec.connections), "-d", `${spec.durationS}s`,
      "--timeout", `${REQUEST_TIMEOUT_S}s`, "-s", script, url]
    const output = yield* runBounded("wrk", args, {
      within: Duration.sum(Duration.seconds(spec.durationS), EXIT_SLACK),
      maxOutputBytes: MAX_GENERATOR_OUTPUT_BYTES
    })
    const line = output.split("\n").find((l) => l.startsWith(RESULT_MARKER))
    if (line === undefined) return yield* new BenchError({ reason: `wrk printed no result:\n${output}` })
    return toResult(JSON.parse(line.slice(RESULT_MARKER.length)) as WrkSummary)
  })
