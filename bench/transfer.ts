/**
 * File transfer throughput on loopback: MB/s (10^6 bytes/s) for 1 MiB and 64 MiB files, in
 * stop-and-wait and windowed mode, at buf_size 1024 and at a large buf_size (65000 for
 * stop-and-wait; 1472 for windowed, the largest datagram that fits a 1500-byte MTU), plus the
 * receiver's peak RSS growth. The receiver runs in its own process, as in a real deployment; a
 * bare Node UDP ping-pong between the same two processes gives the round-trip bound of the day,
 * and a bare windowed blast (no protocol, no file) the bound for windowed mode.
 *
 *   node --import tsx bench/transfer.ts [--quick] [--memory] [--warm] [--placement os|one-cpu|both]
 *     --quick: 1 MiB only; --memory: also 256 MiB windowed, to show the receiver's memory is
 *     flat in file size (its peak RSS growth should match the 64 MiB run's, not be 4x it);
 *     --warm: each fresh receiver first takes two unmeasured files in the same mode, the largest
 *     size (64 MiB) then 1 MiB, as a long-running node has (a cold process runs its first
 *     thousands of datagrams through unoptimised code and opens its first session slowly: a cold
 *     receiver costs a 64 MiB windowed transfer 10-25% of its MB/s, and 1 MiB is too few
 *     datagrams for V8 to finish optimising it; a 1 MiB stop-and-wait transfer on one CPU runs at
 *     4-7 MB/s between cold processes and at 15-21 MB/s once both have moved about 6 MiB).
 *     --placement: where the ping-pong and the stop-and-wait cases run (default both): where the
 *     scheduler puts the two processes, and pinned to one CPU (see lib/cpu-placement.ts: on a VM a
 *     wake-up across vCPUs can cost more than the protocol). Windowed cases need both CPUs and
 *     always run where the scheduler puts them.
 *
 * CPU per datagram (both processes, /proc and process.cpuUsage) is reported next to MB/s: on a
 * shared machine it moves much less than wall-clock throughput does.
 */
import { spawn, type ChildProcess } from "node:child_process"
import * as crypto from "node:crypto"
import * as dgram from "node:dgram"
import * as fs from "node:fs"
import * as os from "node:os"
import * as path from "node:path"
import { fileURLToPath } from "node:url"
import { Duration, Effect, Logger, LogLevel } from "effect"
import { canPin, place, type Placement, placementLabel } from "./lib/cpu-placement.js"
import { defaultConfig } from "../src/config/load.js"
import { DatagramLive, dgramLookup } from "../src/net/datagram.js"
import { ackEveryFor } from "../src/transfer/ack-coalescer.js"
import { folderSink } from "../src/transfer/folder-sink.js"
import { receiveBufferBytesFor, runReceiver } from "../src/transfer/receiver.js"
import { sendFile } from "../src/transfer/sender.js"

const MiB = 1024 * 1024
const caseTimeout = Duration.seconds(180)
const pingPongRounds = 20_000
/** The largest datagram that fits a 1500-byte MTU: the windowed cases' large buf_size. */
const mtuDatagramBytes = 1472
/** The bare windowed blast: 64 MiB in MTU-sized datagrams, as the windowed 1472 case. */
const blastDatagrams = Math.ceil((64 * MiB) / mtuDatagramBytes)
/** The protocol's own default window and ack spacing, so the bound is like for like. */
const blastWindow = defaultConfig().transfer.windowSize
const blastAckEvery = ackEveryFor(blastWindow)

/** The bare bounds' sockets resolve IP literals as troupe's do (no tick per send), so they stay bounds. */
const bareSocket = () => dgram.createSocket({ type: "udp4", lookup: dgramLookup })

const configWith = (bufSize: number) => {
  const base = defaultConfig()
  return { ...base, transfer: { ...base.transfer, bufSize } }
}

/** Child process: a receiver (or a bare echo) that prints its port. */
const runChild = async (args: ReadonlyArray<string>) => {
  if (args[0] === "--sink") {
    // The bare windowed bound: count datagrams, ack the count cumulatively every blastAckEvery.
    const socket = bareSocket()
    const ack = Buffer.alloc(4)
    let count = 0
    socket.on("message", (_bytes, remote) => {
      if (++count % blastAckEvery !== 0 && count !== blastDatagrams) return
      ack.writeUInt32BE(count, 0)
      socket.send(ack, remote.port, remote.address)
    })
    socket.bind(0, "127.0.0.1", () => {
      socket.setRecvBufferSize(receiveBufferBytesFor(blastWindow, mtuDatagramBytes))
      console.log(`READY ${socket.address().port}`)
    })
    return
  }
  if (args[0] === "--echo") {
    const socket = bareSocket()
    socket.on("message", (bytes, remote) => socket.send(bytes.subarray(0, 8), remote.port, remote.address))
    socket.bind(0, "127.0.0.1", () => console.log(`READY ${socket.address().port}`))
    return
  }
  const bufSize = Number(args[1])
  const dir = args[2]!
  await Effect.runPromise(
    Effect.scoped(
      Effect.gen(function* () {
        const config = configWith(bufSize)
        const receiving = runReceiver({ host: "127.0.0.1", port: 0, sink: folderSink(dir), config })
        yield* Effect.forkScoped(receiving)
        return yield* Effect.never
      })
    ).pipe(Effect.provide(DatagramLive), Logger.withMinimumLogLevel(LogLevel.Info))
  )
}

const spawnChild = (args: ReadonlyArray<string>) =>
  Effect.acquireRelease(
    Effect.async<{ child: ChildProcess; port: number }, Error>((resume) => {
      const self = fileURLToPath(import.meta.url)
      const child = spawn(process.execPath, ["--import", "tsx", self, "--child", ...args], { stdio: ["ignore", "pipe", "inherit"] })
      let text = ""
      child.stdout?.on("data", (chunk: Buffer) => {
        text += chunk.toString()
        const match = /READY (\d+)|port (\d+)|udp 127\.0\.0\.1:(\d+)/.exec(text)
        if (match !== null) resume(Effect.succeed({ child, port: Number(match[1] ?? match[2] ?? match[3]) }))
      })
      child.on("exit", (code) => resume(Effect.fail(new Error(`child exited with ${code}`))))
    }),
    ({ child }) => Effect.sync(() => child.exitCode === null && child.kill("SIGKILL"))
  )

const rssKiB = (pid: number, field: "VmRSS" | "VmHWM"): number => {
  try {
    const match = new RegExp(`${field}:\\s+(\\d+) kB`).exec(fs.readFileSync(`/proc/${pid}/status`, "utf8"))
    return match === null ? Number.NaN : Number(match[1])
  } catch {
    return Number.NaN
  }
}

/** CPU time a process has used, in microseconds (Linux /proc; 10 ms resolution). */
const cpuMicros = (pid: number): number => {
  try {
    const fields = fs.readFileSync(`/proc/${pid}/stat`, "utf8").split(") ")[1]!.split(" ")
    return ((Number(fields[11]) + Number(fields[12])) * 1e6) / 100
  } catch {
    return Number.NaN
  }
}

const pingPong = (port: number) =>
  Effect.promise(
    () =>
      new Promise<number>((resolve) => {
        const socket = bareSocket()
        const payload = Buffer.alloc(1024)
        let rounds = 0
        let startMs = 0
        socket.on("message", () => {
          if (++rounds === pingPongRounds) {
            socket.close()
            resolve(pingPongRounds / ((performance.now() - startMs) / 1000))
          } else socket.send(payload, port, "127.0.0.1")
        })
        socket.bind(0, "127.0.0.1", () => {
          startMs = performance.now()
          socket.send(payload, port, "127.0.0.1")
        })
      })
  )

/**
 * Bare windowed blast to a `--sink` child: blastDatagrams of 1472 bytes, blastWindow in flight.
 * MB/s, or undefined if a datagram was lost (no ack for a second: a bare blast cannot resend).
 */
const blast = (port: number) =>
  Effect.promise(
    () =>
      new Promise<number | undefined>((resolve) => {
        const socket = bareSocket()
        const payload = Buffer.alloc(mtuDatagramBytes)
        let sent = 0
        let acked = 0
        let startMs = 0
        const finish = (result: number | undefined) => {
          clearTimeout(stall)
          socket.close()
          resolve(result)
        }
        const stall = setTimeout(() => finish(undefined), 1000)
        const pump = () => {
          for (; sent < blastDatagrams && sent - acked < blastWindow; sent++) socket.send(payload, port, "127.0.0.1")
        }
        socket.on("message", (bytes) => {
          acked = Math.max(acked, bytes.readUInt32BE(0))
          stall.refresh()
          if (acked < blastDatagrams) return pump()
          finish((blastDatagrams * payload.length) / 1e6 / ((performance.now() - startMs) / 1000))
        })
        socket.bind(0, "127.0.0.1", () => {
          startMs = performance.now()
          pump()
        })
      })
  )

/** Runs `effect`; CPU µs per unit of this process and of the child, as "tx rx". */
const withCpuPer = <A>(childPid: number, units: number, effect: Effect.Effect<A>) =>
  Effect.gen(function* () {
    const selfBefore = process.cpuUsage()
    const childBefore = cpuMicros(childPid)
    const result = yield* effect
    const self = process.cpuUsage(selfBefore)
    return { result, cpuPerUnit: `${((self.user + self.system) / units).toFixed(0)} ${((cpuMicros(childPid) - childBefore) / units).toFixed(0)}` }
  })

const sha256 = (file: string) => crypto.createHash("sha256").update(fs.readFileSync(file)).digest("hex")

interface Case {
  readonly mode: "stop-and-wait" | "windowed"
  readonly bufSize: number
  readonly sizeBytes: number
  readonly placement: Placement
}

/** Runs `effect` with this process and `childPid` placed as asked; this process runs anywhere after. */
const placed = <A, E, R>(childPid: number, placement: Placement, effect: Effect.Effect<A, E, R>) =>
  Effect.acquireUseRelease(
    Effect.sync(() => {
      place(childPid, placement)
      place(process.pid, placement)
    }),
    () => effect,
    () => Effect.sync(() => place(process.pid, "os"))
  )

const parsePlacements = (argv: ReadonlyArray<string>): ReadonlyArray<Placement> => {
  const at = argv.indexOf("--placement")
  const value = at < 0 ? "both" : argv[at + 1]
  if (value !== "os" && value !== "one-cpu" && value !== "both") throw new Error("--placement takes os, one-cpu or both")
  if (value !== "os" && !canPin()) {
    console.log("taskset (util-linux) is not available: every case runs where the scheduler puts it")
    return ["os"]
  }
  return value === "both" ? ["os", "one-cpu"] : [value]
}

/** Sends `input` (after the `warmWith` files, unmeasured) and measures MB/s, CPU, receiver memory and integrity. */
const measure = (
  child: ChildProcess,
  send: (localPath: string, remoteName: string) => ReturnType<typeof sendFile>,
  input: string,
  outDir: string,
  spec: Case,
  warmWith: ReadonlyArray<string>
) =>
  Effect.gen(function* () {
    for (const [i, file] of warmWith.entries()) yield* send(file, `warm-${i}.bin`)
    const rssBeforeKiB = rssKiB(child.pid!, "VmRSS")
    const receiverCpuBefore = cpuMicros(child.pid!)
    const senderCpuBefore = process.cpuUsage()
    const startMs = performance.now()
    const result = yield* send(input, "bench.bin").pipe(
      Effect.timeoutFail({ duration: caseTimeout, onTimeout: () => new Error(`timed out after ${Duration.format(caseTimeout)}`) })
    )
    const seconds = (performance.now() - startMs) / 1000
    const peakKiB = rssKiB(child.pid!, "VmHWM")
    const senderCpu = process.cpuUsage(senderCpuBefore)
    const senderCpuPerDatagram = (senderCpu.user + senderCpu.system) / result.datagramsSent
    const receiverCpuPerDatagram = (cpuMicros(child.pid!) - receiverCpuBefore) / result.datagramsSent
    const intact = sha256(path.join(outDir, "bench.bin")) === sha256(input)
    fs.rmSync(outDir, { recursive: true, force: true })
    return { ...spec, mbPerSecond: spec.sizeBytes / 1e6 / seconds, seconds, window: result.window, retransmissions: result.retransmissions, rssGrowthMiB: (peakKiB - rssBeforeKiB) / 1024, intact, senderCpuPerDatagram, receiverCpuPerDatagram }
  })

const runCase = (root: string, input: string, spec: Case, warmWith: ReadonlyArray<string>) =>
  Effect.scoped(
    Effect.gen(function* () {
      const outDir = fs.mkdtempSync(path.join(root, "out-"))
      const { child, port } = yield* spawnChild(["--receiver", String(spec.bufSize), outDir])
      const send = (localPath: string, remoteName: string) =>
        sendFile({ host: "127.0.0.1", port, localPath, remoteName, config: configWith(spec.bufSize), windowed: spec.mode === "windowed" })
      return yield* placed(child.pid!, spec.placement, measure(child, send, input, outDir, spec, warmWith))
    })
  )

const main = Effect.gen(function* () {
  const quick = process.argv.includes("--quick")
  const root = fs.mkdtempSync(path.join(os.tmpdir(), "troupe-bench-"))
  const memory = process.argv.includes("--memory")
  const warm = process.argv.includes("--warm")
  const placements = parsePlacements(process.argv)
  const sizes = quick ? [MiB] : memory ? [MiB, 64 * MiB, 256 * MiB] : [MiB, 64 * MiB]
  const inputs = new Map(sizes.map((size) => {
    const file = path.join(root, `input-${size}`)
    const handle = fs.openSync(file, "w")
    for (let written = 0; written < size; written += MiB) fs.writeSync(handle, crypto.randomBytes(Math.min(MiB, size - written)))
    fs.closeSync(handle)
    return [size, file] as const
  }))
  // The floor for stop-and-wait: what one round trip costs each side with no protocol at all.
  console.log(`load average ${os.loadavg().map((load) => load.toFixed(1)).join(" ")}`)
  const echo = yield* spawnChild(["--echo"])
  for (const placement of placements) {
    const ping = yield* placed(echo.child.pid!, placement, withCpuPer(echo.child.pid!, pingPongRounds, pingPong(echo.port)))
    console.log(`bare UDP ping-pong (1024 B), ${placementLabel(placement)}: ${Math.round(ping.result)} round trips/s = ${(ping.result * 1024 / 1e6).toFixed(1)} MB/s, CPU us/round trip tx rx ${ping.cpuPerUnit}`)
  }
  const sink = yield* spawnChild(["--sink"])
  const flood = yield* withCpuPer(sink.child.pid!, blastDatagrams, blast(sink.port))
  console.log(flood.result === undefined
    ? "bare UDP windowed blast: a datagram was lost, no bound measured"
    : `bare UDP windowed blast (64 MiB, 1472 B, window ${blastWindow}, ack every ${blastAckEvery}): ${flood.result.toFixed(1)} MB/s, CPU us/datagram tx rx ${flood.cpuPerUnit}`)
  const cases: Array<Case> = []
  for (const sizeBytes of sizes) {
    if (sizeBytes > 64 * MiB) {
      cases.push({ mode: "windowed", bufSize: 1472, sizeBytes, placement: "os" })
      continue
    }
    for (const placement of placements) {
      for (const bufSize of [1024, 65000]) cases.push({ mode: "stop-and-wait", bufSize, sizeBytes, placement })
    }
    for (const bufSize of [1024, 1472]) cases.push({ mode: "windowed", bufSize, sizeBytes, placement: "os" })
  }
  const largestSize = Math.max(...sizes.filter((size) => size <= 64 * MiB))
  const warmInput = warm ? [inputs.get(largestSize)!, inputs.get(MiB)!] : []
  if (warm) console.log(`receivers warmed up with two unmeasured transfers each, ${largestSize / MiB} MiB then 1 MiB`)
  console.log("mode            placement           buf_size  size      MB/s     seconds  window  retransmits  rx RSS growth  CPU us/datagram tx rx  intact")
  for (const spec of cases) {
    const row = yield* Effect.either(runCase(root, inputs.get(spec.sizeBytes)!, spec, warmInput))
    const head = `${spec.mode.padEnd(16)}${placementLabel(spec.placement).padEnd(20)}${String(spec.bufSize).padEnd(10)}${`${spec.sizeBytes / MiB} MiB`.padEnd(10)}`
    if (row._tag === "Left") {
      console.log(`${head}FAILED: ${row.left.message}`)
      continue
    }
    const r = row.right
    console.log(
      `${head}${r.mbPerSecond.toFixed(1).padEnd(9)}${r.seconds.toFixed(2).padEnd(9)}${String(r.window).padEnd(8)}${String(r.retransmissions).padEnd(13)}${`${r.rssGrowthMiB.toFixed(1)} MiB`.padEnd(15)}${`${r.senderCpuPerDatagram.toFixed(0)} ${r.receiverCpuPerDatagram.toFixed(0)}`.padEnd(23)}${r.intact}`
    )
  }
  fs.rmSync(root, { recursive: true, force: true })
}).pipe(Effect.scoped, Effect.provide(DatagramLive), Logger.withMinimumLogLevel(LogLevel.Warning))

const childAt = process.argv.indexOf("--child")
if (childAt >= 0) await runChild(process.argv.slice(childAt + 1))
else await Effect.runPromise(main)
