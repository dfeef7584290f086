/**
 * Runs a helper program (wrk, a generator child) to completion with a deadline and a cap on
 * what it may print; past either, it is SIGKILLed and the run fails.
 */
import * as childProcess from "node:child_process"
import { Duration, Effect } from "effect"
import { BenchError } from "./errors.js"

export interface RunLimits {
  readonly within: Duration.Duration
  readonly maxOutputBytes: number
  readonly cwd?: string
}

export const runBounded = (command: string, args: ReadonlyArray<string>, limits: RunLimits): Effect.Effect<string, BenchError> =>
  Effect.async<string, BenchError>((resume) => {
    const child = childProcess.spawn(command, args, { stdio: ["ignore", "pipe", "pipe"], ...(limits.cwd === undefined ? {} : { cwd: limits.cwd }) })
    const chunks: Array<Buffer> = []
    let size = 0
    let failure: string | undefined
    const fail = (reason: string) => {
      failure ??= reason
      child.kill("SIGKILL")
    }
    const collect = (chunk: Buffer) => {
      size += chunk.length
      if (size > limits.maxOutputBytes) fail(`${command} printed more than ${limits.maxOutputBytes} bytes`)
      else chunks.push(chunk)
    }
    child.stdout.on("data", collect)
    child.stderr.on("data", collect)
    const timer = setTimeout(() => fail(`${command} did not finish within ${Duration.format(limits.within)}`), Duration.toMillis(limits.within))
    child.once("error", (error) => fail(`${command}: ${error.message}`))
    child.once("close", (code, signal) => {
      clearTimeout(timer)
      const output = Buffer.concat(chunks).toString("utf8")
      if (failure !== undefined) return resume(Effect.fail(new BenchError({ reason: failure })))
      if (code !== 0) return resume(Effect.fail(new BenchError({ reason: `${command} exited with ${signal ?? code}:\n${output}` })))
      resume(Effect.succeed(output))
    })
    // Interruption (Ctrl+C, an outer timeout) must not leave the program running.
    return Effect.sync(() => {
      clearTimeout(timer)
      child.kill("SIGKILL")
    })
  })
