/** Starts the bare node:http baseline server as a child process for the life of the scope. */
import * as childProcess from "node:child_process"
import * as path from "node:path"
import { fileURLToPath } from "node:url"
import { Duration, Effect, type Scope } from "effect"
import { pickFreePort } from "../../src/process/free-port.js"
import { BenchError } from "./errors.js"

const SERVER_SCRIPT = fileURLToPath(new URL("./baseline-server.ts", import.meta.url))
const REPO_ROOT = path.resolve(path.dirname(SERVER_SCRIPT), "../..")
const START_WITHIN = Duration.seconds(15)
const HOST = "127.0.0.1"

/** Returns the baseline's host:port and process id once it listens. */
export const startBaseline: Effect.Effect<{ readonly address: string; readonly pid: number | undefined }, BenchError, Scope.Scope> = Effect.gen(function*() {
  const port = yield* pickFreePort([HOST]).pipe(Effect.mapError((error) => new BenchError({ reason: error.message })))
  const child = yield* Effect.acquireRelease(
    Effect.sync(() =>
      childProcess.spawn(process.execPath, ["--import", "tsx", SERVER_SCRIPT, HOST, String(port)], {
        stdio: ["ignore", "pipe", "inherit"],
        cwd: REPO_ROOT
      })
    ),
    (child) => Effect.sync(() => child.kill("SIGKILL"))
  )
  yield* Effect.async<void, BenchError>((resume) => {
    child.stdout.once("data", () => resume(Effect.void))
    child.once("exit", (code) => resume(Effect.fail(new BenchError({ reason: `baseline server exited (${code})` }))))
  }).pipe(Effect.timeoutFail({
    duration: START_WITHIN,
    onTimeout: () => new BenchError({ reason: `baseline server did not listen within ${Duration.format(START_WITHIN)}` })
  }))
  return { address: `${HOST}:${port}`, pid: child.pid }
})
