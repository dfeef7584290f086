/**
 * One-shot HTTP GETs with a hard timeout, for control traffic (metrics, failover probes,
 * preloading a key): a fresh connection each time so a dead peer never pins a pooled socket.
 */
import * as http from "node:http"

export interface ProbeAnswer {
  readonly status: number
  readonly body: string
}

/** Control answers are tiny; anything bigger is a bug worth stopping on. */
const MAX_BODY_BYTES = 1 << 20

export const httpGet = (address: string, path: string, timeoutMs: number): Promise<ProbeAnswer> =>
  new Promise((resolve, reject) => {
    const [host, port] = splitAddress(address)
    const request = http.get({ host, port, path, agent: false, timeout: timeoutMs }, (response) => {
      const chunks: Array<Buffer> = []
      let size = 0
      response.on("data", (chunk: Buffer) => {
        size += chunk.length
        if (size > MAX_BODY_BYTES) request.destroy(new Error(`${address}${path}: answer over ${MAX_BODY_BYTES} bytes`))
        else chunks.push(chunk)
      })
      response.on("end", () => resolve({ status: response.statusCode ?? 0, body: Buffer.concat(chunks).toString("utf8") }))
      response.on("error", reject)
    })
    request.on("timeout", () => request.destroy(new Error(`${address}${path}: no answer within ${timeoutMs} ms`)))
    request.on("error", reject)
  })

export const splitAddress = (address: string): [string, number] => {
  const colon = address.lastIndexOf(":")
  return [address.slice(0, colon), Number(address.slice(colon + 1))]
}

/** Reads one counter (no labels) from a node's Prometheus /metrics text; 0 when absent. */
export const fetchCounter = async (address: string, name: string, timeoutMs: number): Promise<number> => {
  const answer = await httpGet(address, "/metrics", timeoutMs)
  const line = answer.body.split("\n").find((l) => l.startsWith(`${name} `))
  return line === undefined ? 0 : Number(line.slice(name.length + 1))
}

export interface PeerTraffic {
  readonly sentMessages: number
  readonly receivedMessages: number
  readonly sentBytes: number
}

/** The peer-link counters a node reports under `transport` in /status; undefined if absent. */
export const fetchPeerTraffic = async (address: string, timeoutMs: number): Promise<PeerTraffic | undefined> => {
  try {
    const answer = await httpGet(address, "/status", timeoutMs)
    const transport = (JSON.parse(answer.body) as { transport?: Partial<PeerTraffic> }).transport
    const { receivedMessages, sentBytes, sentMessages } = transport ?? {}
    if (typeof sentMessages !== "number" || typeof receivedMessages !== "number" || typeof sentBytes !== "number") return undefined
    return { sentMessages, receivedMessages, sentBytes }
  } catch {
    return undefined
  }
}
