/**
 * The `troupe node` processes of a bench cluster, by 1-based member index: started with their
 * output appended to node-N.log, killed by pid with any signal, restarted on the same data.
 */
import * as childProcess from "node:child_process"
import * as fs from "node:fs"
import * as path from "node:path"
import { Duration, Effect } from "effect"

export interface NodeLaunch {
  /** Folder holding troupe.mjs (a snapshot of dist/bin). */
  readonly binDir: string
  readonly workDir: string
  readonly serversFile: string
  /** Extra node flags for member `index`, e.g. --cpu-prof. */
  readonly nodeFlags?: (index: number) => ReadonlyArray<string>
}

export interface NodeProcesses {
  readonly start: (index: number) => Effect.Effect<void>
  /** Sends `signal` and waits for the exit. */
  readonly kill: (index: number, signal: NodeJS.Signals) => Effect.Effect<void>
  readonly running: () => ReadonlyArray<number>
  readonly pid: (index: number) => number | undefined
  /** SIGTERM to every running node, SIGKILL to those still running after `grace`. */
  readonly stopAll: (grace: Duration.Duration) => Effect.Effect<void>
}

const isRunning = (child: childProcess.ChildProcess | undefined): child is childProcess.ChildProcess =>
  child !== undefined && child.exitCode === null && child.signalCode === null

const exited = (child: childProcess.ChildProcess): Effect.Effect<void> =>
  Effect.async<void>((resume) => {
    if (!isRunning(child)) return resume(Effect.void)
    child.once("exit", () => resume(Effect.void))
  })

export const makeNodeProcesses = (launch: NodeLaunch): NodeProcesses => {
  const children = new Map<number, childProcess.ChildProcess>()

  const start = (index: number) =>
    Effect.sync(() => {
      const log = fs.openSync(path.join(launch.workDir, `node-${index}.log`), "a")
      const args = [
        ...(launch.nodeFlags?.(index) ?? []),
        path.join(launch.binDir, "troupe.mjs"),
        "node", "--servers", launch.serversFile, "--self", String(index), "--data", path.join(launch.workDir, `data-${index}`)
      ]
      const child = childProcess.spawn(process.execPath, args, { stdio: ["ignore", log, log], cwd: launch.workDir })
      fs.closeSync(log)
      children.set(index, child)
    })

  const kill = (index: number, signal: NodeJS.Signals) =>
    Effect.suspend(() => {
      const child = children.get(index)
      if (!isRunning(child)) return Effect.void
      child.kill(signal)
      return exited(child)
    })

  const stopAll = (grace: Duration.Duration) =>
    Effect.forEach(children.values(), (child) => {
      if (!isRunning(child)) return Effect.void
      child.kill("SIGTERM")
      return exited(child).pipe(Effect.timeout(grace), Effect.catchAll(() => Effect.sync(() => child.kill("SIGKILL"))))
    }, { concurrency: "unbounded", discard: true })

  const running = () => [...children.entries()].filter(([, child]) => isRunning(child)).map(([index]) => index)
  const pid = (index: number) => {
    const child = children.get(index)
    return isRunning(child) ? child.pid : undefined
  }
  return { start, kill, running, pid, stopAll }
}
