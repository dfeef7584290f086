/**
 * CPU time a process really used (user + system, from /proc/PID/stat), independent of how
 * many other processes share the cores: on a loaded machine wall-clock profiles overstate cost,
 * this does not. Linux only; elsewhere undefined.
 */
import * as childProcess from "node:child_process"
import * as fs from "node:fs"
import { Effect } from "effect"

const clockTicksPerSecond = (() => {
  const answer = childProcess.spawnSync("getconf", ["CLK_TCK"], { encoding: "utf8" })
  const ticks = Number(answer.stdout?.trim())
  return Number.isInteger(ticks) && ticks > 0 ? ticks : 100
})()

/** Milliseconds of CPU the process has used so far, or undefined if it cannot be read. */
export const cpuTimeMs = (pid: number | undefined): number | undefined => {
  if (pid === undefined) return undefined
  try {
    const stat = fs.readFileSync(`/proc/${pid}/stat`, "utf8")
    // The command name (field 2) may hold spaces; fields after its closing paren are fixed.
    const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ")
    const userTicks = Number(fields[11])
    const systemTicks = Number(fields[12])
    if (!Number.isFinite(userTicks) || !Number.isFinite(systemTicks)) return undefined
    return ((userTicks + systemTicks) * 1000) / clockTicksPerSecond
  } catch {
    return undefined
  }
}

export interface CpuUse<A> {
  readonly result: A
  /** Per pid, in the order given; undefined where /proc could not be read. */
  readonly cpuMs: ReadonlyArray<number | undefined>
}

/** Runs `effect` and reports the CPU each pid used meanwhile. */
export const withCpu = <A, E>(pids: ReadonlyArray<number | undefined>, effect: Effect.Effect<A, E>): Effect.Effect<CpuUse<A>, E> =>
  Effect.gen(function*() {
    const before = pids.map(cpuTimeMs)
    const result = yield* effect
    const cpuMs = pids.map((pid, i) => {
      const after = cpuTimeMs(pid)
      const start = before[i]
      return after === undefined || start === undefined ? undefined : after - start
    })
    return { result, cpuMs }
  })
