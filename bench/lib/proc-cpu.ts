/**
 * CPU time a process really used (user + system, from /proc/PID/stat), independent of how
 * many other processes share the cores: on a loaded machine wall-clock profiles overstate cost,
 * this does not. And the whole machine's time (/proc/stat): busy, idle, and stolen by the host,
 * which on a shared VM decides how much CPU a benchmark could have had at all. Linux only;
 * elsewhere undefined.
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

/** The machine's time, summed over every CPU, in milliseconds. */
export interface MachineTime {
  /** user, nice, system, irq and softirq (guest time is already inside user). */
  readonly busyMs: number
  /** idle and iowait: nothing was runnable. */
  readonly idleMs: number
  /** Time the hypervisor ran something else while this VM had work: CPU it did not get. */
  readonly stealMs: number
}

/** Parses the aggregate `cpu` line of /proc/stat; undefined when it is missing or malformed. */
export const parseProcStat = (text: string, ticksPerSecond: number): MachineTime | undefined => {
  const line = text.split("\n").find((l) => l.startsWith("cpu "))
  if (line === undefined) return undefined
  const [user, nice, system, idle, iowait, irq, softirq, steal] = line.trim().split(/\s+/).slice(1, 9).map(Number)
  const fields = [user, nice, system, idle, iowait, irq, softirq, steal]
  if (fields.some((value) => value === undefined || !Number.isFinite(value))) return undefined
  const ms = (ticks: number) => (ticks * 1000) / ticksPerSecond
  return {
    busyMs: ms(user! + nice! + system! + irq! + softirq!),
    idleMs: ms(idle! + iowait!),
    stealMs: ms(steal!)
  }
}

/** The machine's time so far, or undefined where /proc/stat cannot be read. */
export const machineTime = (): MachineTime | undefined => {
  try {
    return parseProcStat(fs.readFileSync("/proc/stat", "utf8"), clockTicksPerSecond)
  } catch {
    return undefined
  }
}

export const machineTimeBetween = (before: MachineTime, after: MachineTime): MachineTime => ({
  busyMs: after.busyMs - before.busyMs,
  idleMs: after.idleMs - before.idleMs,
  stealMs: after.stealMs - before.stealMs
})

export interface CpuUse<A> {
  readonly result: A
  /** Per pid, in the order given; undefined where /proc could not be read. */
  readonly cpuMs: ReadonlyArray<number | undefined>
  /** The whole machine meanwhile; undefined where /proc/stat cannot be read. */
  readonly machine: MachineTime | undefined
}

/** Runs `effect` and reports the CPU each pid used meanwhile. */
export const withCpu = <A, E>(pids: ReadonlyArray<number | undefined>, effect: Effect.Effect<A, E>): Effect.Effect<CpuUse<A>, E> =>
  Effect.gen(function*() {
    const before = pids.map(cpuTimeMs)
    const machineBefore = machineTime()
    const result = yield* effect
    const machineAfter = machineTime()
    const cpuMs = pids.map((pid, i) => {
      const after = cpuTimeMs(pid)
      const start = before[i]
      return after === undefined || start === undefined ? undefined : after - start
    })
    const machine = machineBefore === undefined || machineAfter === undefined ? undefined : machineTimeBetween(machineBefore, machineAfter)
    return { result, cpuMs, machine }
  })
