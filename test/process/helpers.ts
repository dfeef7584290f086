/** Shared by the real-process tests: raw HTTP, troupe-client, waiting for nodes to serve. */
import * as childProcess from "node:child_process"
import * as net from "node:net"
import * as path from "node:path"
import { Duration, Effect } from "effect"
import { httpGet, type HttpAnswer } from "../../src/client/http-get.js"
import type { ProcessCluster } from "../../src/process/cluster.js"
import { binDir } from "../support/process-cluster.js"

export const get = (address: { host: string; port: number }, target: string, timeout: Duration.DurationInput = "3 seconds", headers: Record<string, string> = {}) =>
  Effect.runPromise(Effect.either(httpGet(address, target, { timeout, headers })))

export const getOk = async (address: { host: string; port: number }, target: string): Promise<HttpAnswer> => {
  const answer = await get(address, target)
  if (answer._tag === "Left") throw new Error(`GET ${target} on ${address.host}: ${answer.left.message}`)
  return answer.right
}

/** Sends raw bytes and reads one HTTP response (headers + Content-Length body), bounded in time and size. */
export const rawRequest = (host: string, port: number, text: string, timeoutMs = 5_000) =>
  new Promise<{ statusLine: string; headers: string; body: string }>((resolve, reject) => {
    const socket = net.connect({ host, port })
    let received = Buffer.alloc(0)
    const timer = setTimeout(() => {
      socket.destroy()
      reject(new Error(`no complete answer within ${timeoutMs} ms; got ${JSON.stringify(received.toString())}`))
    }, timeoutMs)
    socket.on("connect", () => socket.write(text))
    socket.on("error", (error) => {
      clearTimeout(timer)
      reject(error)
    })
    socket.on("data", (chunk: Buffer) => {
      received = Buffer.concat([received, chunk]).subarray(0, 1 << 20)
      const text = received.toString("utf8")
      const end = text.indexOf("\r\n\r\n")
      if (end === -1) return
      const head = text.slice(0, end)
      const length = Number(/content-length:\s*(\d+)/i.exec(head)?.[1] ?? "0")
      const body = received.subarray(Buffer.byteLength(head) + 4)
      if (body.length < length) return
      clearTimeout(timer)
      socket.destroy()
      const [statusLine = "", ...rest] = head.split("\r\n")
      resolve({ statusLine, headers: rest.join("\n"), body: body.subarray(0, length).toString("utf8") })
    })
  })

/** Runs troupe-client; never longer than `timeoutMs`. */
export const runClient = (args: ReadonlyArray<string>, env: NodeJS.ProcessEnv, timeoutMs = 30_000) =>
  new Promise<{ code: number | null; stdout: string; stderr: string }>((resolve) => {
    const child = childProcess.execFile(process.execPath, [path.join(binDir, "troupe-client.mjs"), ...args],
      { env, timeout: timeoutMs, killSignal: "SIGKILL" }, (_, stdout, stderr) =>
        resolve({ code: child.exitCode, stdout: String(stdout), stderr: String(stderr) }))
  })

/** Waits until node `index` answers /status and knows a leader (after a start or restart); bounded. */
export const awaitServing = (cluster: ProcessCluster, index: number, timeoutMs = 30_000) =>
  Effect.gen(function*() {
    const startedAt = performance.now()
    while (performance.now() - startedAt < timeoutMs) {
      // A process still shutting down when asked to start exits later: start it again then.
      yield* cluster.start(index)
      if (((yield* cluster.status(index))?.leader ?? null) !== null) return
      yield* Effect.sleep("50 millis")
    }
    return yield* Effect.dieMessage(`node ${index + 1} did not serve /status with a leader within ${timeoutMs} ms`)
  })

/** Starts any node an earlier (failed) test left down and waits until all of them serve. */
export const ensureAllServing = (cluster: ProcessCluster) =>
  Effect.gen(function*() {
    for (const node of cluster.nodes) yield* awaitServing(cluster, node.index)
  })
