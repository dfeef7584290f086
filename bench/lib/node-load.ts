/**
 * The fallback load generator: `threads` child processes (like wrk's threads, so the load
 * does not share the bench's own event loop), each driving its share of the keep-alive
 * connections, their latency histograms merged.
 */
import * as path from "node:path"
import { fileURLToPath } from "node:url"
import { Duration, Effect } from "effect"
import { BenchError } from "./errors.js"
import { makeHistogram, merge, quantileMicros } from "./histogram.js"
import { type LoadResult, type LoadSpec, MAX_GENERATOR_OUTPUT_BYTES, RESULT_MARKER } from "./load.js"
import type { ChildResult, ChildSpec } from "./node-load-child.js"
import { runBounded } from "./run-bounded.js"

const CHILD_SCRIPT = fileURLToPath(new URL("./node-load-child.ts", import.meta.url))
const REPO_ROOT = path.resolve(path.dirname(CHILD_SCRIPT), "../..")
/** Startup (tsx compiles the child) and the last requests' timeout on top of the duration. */
const EXIT_SLACK = Duration.seconds(20)

const runChild = (spec: ChildSpec) =>
  runBounded(process.execPath, ["--import", "tsx", CHILD_SCRIPT, JSON.stringify(spec)], {
    within: Duration.sum(Duration.seconds(spec.durationS), EXIT_SLACK),
    maxOutputBytes: MAX_GENERATOR_OUTPUT_BYTES,
    cwd: REPO_ROOT
  }).pipe(
    Effect.flatMap((output) => {
      const line = output.split("\n").find((l) => l.startsWith(RESULT_MARKER))
      return line === undefined
        ? Effect.fail(new BenchError({ reason: `load generator child printed no result:\n${output}` }))
        : Effect.succeed(JSON.parse(line.slice(RESULT_MARKER.length)) as ChildResult)
    })
  )

export const runNodeLoad = (spec: LoadSpec): Effect.Effect<LoadResult, BenchError> =>
  Effect.gen(function*() {
    const shares = Array.from({ length: spec.threads }, (_, i) =>
      Math.floor(spec.connections / spec.threads) + (i < spec.connections % spec.threads ? 1 : 0))
    const results = yield* Effect.forEach(shares, (connections, childId) => runChild({ ...spec, connections, childId }), {
      concurrency: "unbounded"
    })
    const histogram = makeHistogram()
    results.forEach((result) => merge(histogram, result.histogram))
    const requests = results.reduce((sum, r) => sum + r.requests, 0)
    const seconds = Math.max(...results.map((r) => r.seconds))
    return {
      tool: "node",
      requests,
      seconds,
      perSecond: requests / seconds,
      p50Ms: quantileMicros(histogram, 0.5) / 1000,
      p99Ms: quantileMicros(histogram, 0.99) / 1000,
      maxMs: histogram.maxMicros / 1000,
      failed: results.reduce((sum, r) => sum + r.failed, 0)
    }
  })
