/**
 * The fallback load generator's worker process (used when wrk is missing): `connections`
 * closed-loop clients over one keep-alive http.Agent, each sending its next request when the
 * previous answer arrives, for `durationS`. Prints one result line with its latency histogram.
 * Run by node-load.ts as `node --import tsx bench/lib/node-load-child.ts '<json spec>'`.
 */
import * as http from "node:http"
import { type Histogram, makeHistogram, record } from "./histogram.js"
import { type LoadSpec, RESULT_MARKER, VALUE_BYTES } from "./load.js"

export interface ChildSpec extends LoadSpec {
  /** Distinguishes this child's write keys from its siblings'. */
  readonly childId: number
}

export interface ChildResult {
  readonly requests: number
  readonly failed: number
  readonly seconds: number
  readonly histogram: Histogram
}

const REQUEST_TIMEOUT_MS = 5000
const VALUE = "v".repeat(VALUE_BYTES)

const main = async (spec: ChildSpec): Promise<ChildResult> => {
  const [host, portText] = [spec.address.slice(0, spec.address.lastIndexOf(":")), spec.address.slice(spec.address.lastIndexOf(":") + 1)]
  const agent = new http.Agent({ keepAlive: true, maxSockets: spec.connections })
  const histogram = makeHistogram()
  let failed = 0
  let counter = 0
  // "k" + 2 base-36 chars of child id + 13-digit counter = KEY_BYTES: distinct across children.
  const keyPrefix = `k${spec.childId.toString(36).padStart(2, "0")}`
  const nextPath = () => spec.mode === "read" ? spec.readPath : `/${keyPrefix}${String(++counter).padStart(13, "0")}=${VALUE}`

  const once = (path: string) =>
    new Promise<boolean>((resolve) => {
      const request = http.get({ host, port: Number(portText), path, agent, timeout: REQUEST_TIMEOUT_MS }, (response) => {
        response.resume()
        response.on("end", () => resolve(response.statusCode === 200))
        response.on("error", () => resolve(false))
      })
      request.on("timeout", () => request.destroy())
      request.on("error", () => resolve(false))
    })

  const started = performance.now()
  const deadline = started + spec.durationS * 1000
  const client = async () => {
    while (performance.now() < deadline) {
      const sent = performance.now()
      const ok = await once(nextPath())
      if (ok) record(histogram, (performance.now() - sent) * 1000)
      else failed++
    }
  }
  await Promise.all(Array.from({ length: spec.connections }, () => client()))
  agent.destroy()
  return { requests: histogram.count + failed, failed, seconds: (performance.now() - started) / 1000, histogram }
}

main(JSON.parse(process.argv[2] ?? "{}") as ChildSpec).then(
  (result) => process.stdout.write(`${RESULT_MARKER}${JSON.stringify(result)}\n`),
  (error: unknown) => {
    console.error(error)
    process.exitCode = 1
  }
)
