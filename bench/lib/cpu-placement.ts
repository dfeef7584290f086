/**
 * Where a benchmark's processes run. On a VM, waking a process on another, idle vCPU goes
 * through the hypervisor: on the 2-vCPU Firecracker machine troupe is measured on, a bare C UDP
 * ping-pong (native/udp-ping-pong.c) does 10,000-14,000 round trips/s across the two vCPUs and
 * 125,000-177,000 on one. A
 * stop-and-wait protocol pays that wake-up twice per datagram, so the bench measures it both ways:
 * where the scheduler puts the processes, and with both pinned to one CPU (what `taskset -c 0`
 * does, and what a latency benchmark such as netperf -T does).
 */
import { execFileSync } from "node:child_process"
import * as os from "node:os"

export type Placement = "os" | "one-cpu"

export const placementLabel = (placement: Placement): string => placement === "os" ? "scheduler's choice" : "one CPU"

const allCpus = () => `0-${os.cpus().length - 1}`

let pinning: boolean | undefined

/** Whether `taskset` (util-linux) can pin processes here. */
export const canPin = (): boolean => {
  if (pinning !== undefined) return pinning
  try {
    execFileSync("taskset", ["-p", String(process.pid)], { stdio: "ignore" })
    pinning = true
  } catch {
    pinning = false
  }
  return pinning
}

/**
 * Pins every thread of `pid` to CPU 0 ("one-cpu") or lets it run anywhere again ("os"; nothing
 * to undo where nothing could be pinned).
 */
export const place = (pid: number, placement: Placement): void => {
  if (placement === "os" && !canPin()) return
  execFileSync("taskset", ["-a", "-p", "-c", placement === "one-cpu" ? "0" : allCpus(), String(pid)], { stdio: "ignore" })
}
