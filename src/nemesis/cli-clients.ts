/**
 * The nemesis's CLI clients: one `troupe-client` process per operation, exactly as a script
 * would use it. Its own failover and deadline apply (the deadline is set through
 * TROUPE_CONFIG_JSON); a process that outlives it by far is killed and counts as a timeout.
 */
import * as childProcess from "node:child_process"
import * as path from "node:path"
import { Duration, Effect } from "effect"
import type { Prng } from "../sim/random.js"
import { type ClientContext, historyLine, nextInvocation, parseAnswer } from "./http-clients.js"

/** Room for node's own start-up on a busy machine, beyond the client's deadline. */
const processStartAllowanceMs = 5_000
const maxOutputBytes = 64 * 1024

interface CliResult {
  readonly exitCode: number | null
  readonly stdout: string
  readonly killed: boolean
}

const runClient = (binDir: string, args: ReadonlyArray<string>, env: NodeJS.ProcessEnv, killAfterMs: number) =>
  Effect.async<CliResult>((resume) => {
    const child = childProcess.execFile(process.execPath, [path.join(binDir, "troupe-client.mjs"), ...args], {
      env, timeout: killAfterMs, killSignal: "SIGKILL", maxBuffer: maxOutputBytes
    }, (error, stdout) => {
      const killed = error !== null && (error as { killed?: boolean }).killed === true
      resume(Effect.succeed({ exitCode: child.exitCode, stdout: String(stdout), killed }))
    })
    return Effect.sync(() => child.kill("SIGKILL"))
  })

export interface CliClientOptions {
  readonly binDir: string
  readonly env: NodeJS.ProcessEnv
}

/** One CLI client until `stopAtMs` on the run's clock. */
export const cliClientLoop = (context: ClientContext, options: CliClientOptions, client: string, prng: Prng, stopAtMs: number) =>
  Effect.gen(function*() {
    const { recorder } = context
    const hosts = context.nodes.map((node) => node.id).join(",")
    const env = {
      ...options.env,
      TROUPE_CONFIG_JSON: JSON.stringify({ client: { totalTimeout: `${context.operationDeadlineMs} millis` } })
    }
    // Bounded by the run's end and by the history's capacity.
    for (let seq = 1; (yield* recorder.now) < stopAtMs && !recorder.full; seq++) {
      yield* Effect.sleep(Duration.millis(prng.nextIntBetween(0, context.maxThinkMs)))
      const invocation = nextInvocation(prng, client, seq, context.keys)
      const args = ["-h", hosts, "-k", invocation.key, ...(invocation.kind === "put" ? ["-v", invocation.value] : [])]
      const call = yield* recorder.now
      const result = yield* runClient(options.binDir, args, env, context.operationDeadlineMs + processStartAllowanceMs)
      const ret = yield* recorder.now
      const output = result.exitCode === 0 ? parseAnswer(invocation.key, result.stdout.trim().split("\n").at(-1) ?? "") : undefined
      if (result.exitCode === 0 && output === undefined) recorder.malformedAnswers++
      const outcome = output !== undefined ? "ok" : result.killed ? "timeout" : "unavailable"
      recorder.attempt({ client, kind: invocation.kind === "get" ? "read" : "write", node: "cli", startMs: call, endMs: ret, outcome })
      recorder.record(historyLine(client, invocation, call, output !== undefined ? { _tag: "ok", output, retMs: ret } : { _tag: "unknown" }))
    }
  })
