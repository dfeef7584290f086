/**
 * Real-process tests' side of src/process/cluster.ts: the built binaries, a started cluster
 * behind a promise (closed by the test's afterAll), and small polling HTTP helpers.
 */
import * as fs from "node:fs"
import * as os from "node:os"
import * as path from "node:path"
import { Effect, Exit, Scope } from "effect"
import { type NodeLaunch, type ProcessCluster, startProcessCluster } from "../../src/process/cluster.js"

/** The built binaries; TROUPE_BIN_DIR points the tests at another build (e.g. a snapshot). */
export const binDir = process.env.TROUPE_BIN_DIR ?? path.resolve(import.meta.dirname, "../../dist/bin")
export const built = fs.existsSync(path.join(binDir, "troupe.mjs")) && fs.existsSync(path.join(binDir, "troupe-client.mjs"))
export const notBuiltMessage = `skipped: ${binDir}/troupe.mjs is missing; run \`npm run build\` first (npm test does)`

export interface StartedCluster {
  readonly cluster: ProcessCluster
  /** host:port of every node, in node order. */
  readonly hosts: ReadonlyArray<string>
  readonly workDir: string
  readonly env: NodeJS.ProcessEnv
  readonly close: () => Promise<void>
}

export interface StartOptions {
  /** Added to the nodes' environment (after process.env, before TROUPE_SECRET). */
  readonly env?: NodeJS.ProcessEnv
  /** Per node (0-based): Deno instead of Node, a config file. */
  readonly launch?: (index: number) => NodeLaunch
  /** false: return once the processes are spawned, for tests that watch the election themselves. */
  readonly waitForLeader?: boolean
}

/** Starts real nodes on `hosts`; `close` kills every process it spawned (by PID) and removes the temp dir. */
export const startCluster = async (
  hosts: ReadonlyArray<string>,
  secret: string,
  options: StartOptions = {}
): Promise<StartedCluster> => {
  const workDir = fs.mkdtempSync(path.join(os.tmpdir(), "troupe-process-"))
  const env = { ...process.env, ...options.env, TROUPE_SECRET: secret }
  const scope = Effect.runSync(Scope.make())
  const close = async () => {
    await Effect.runPromise(Scope.close(scope, Exit.void))
    fs.rmSync(workDir, { recursive: true, force: true })
  }
  try {
    const cluster = await Effect.runPromise(Scope.extend(startProcessCluster({
      hosts, binDir, workDir, env, launch: options.launch, waitForLeader: options.waitForLeader,
      startupTimeoutMs: 60_000, statusTimeout: "1 second"
    }), scope))
    return { cluster, hosts: cluster.nodes.map((node) => node.id), workDir, env, close }
  } catch (error) {
    await close()
    throw error
  }
}

/** One GET to host:port with a 5 s bound; rejects when the node does not answer. */
export const httpGet = async (host: string, target: string): Promise<{ status: number; body: string }> => {
  const response = await fetch(`http://${host}${target}`, { signal: AbortSignal.timeout(5000) })
  return { status: response.status, body: await response.text() }
}

/** Polls `attempt` until it returns a value: at most 200 tries, 100 ms apart. */
export const eventually = async <A>(attempt: () => Promise<A | undefined>): Promise<A> => {
  for (let i = 0; i < 200; i++) {
    const value = await attempt().catch(() => undefined)
    if (value !== undefined) return value
    await new Promise((resolve) => setTimeout(resolve, 100))
  }
  throw new Error("condition not reached within 20 s")
}
