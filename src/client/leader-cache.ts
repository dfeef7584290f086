/**
 * The CLI client runs once per call, so it remembers the leader between calls in a small file in
 * the temp folder, keyed by the node list. Losing the file costs one redirect, nothing more.
 */
import * as crypto from "node:crypto"
import * as fs from "node:fs"
import * as os from "node:os"
import * as path from "node:path"
import type { NodeAddress } from "./kv-client.js"

const cacheFile = (nodes: ReadonlyArray<NodeAddress>): string => {
  const digest = crypto.createHash("sha256").update(nodes.map((n) => `${n.host}:${n.port}`).join(",")).digest("hex")
  return path.join(os.tmpdir(), `troupe-leader-${digest.slice(0, 16)}`)
}

export const recallLeader = (nodes: ReadonlyArray<NodeAddress>): NodeAddress | undefined => {
  try {
    const remembered = JSON.parse(fs.readFileSync(cacheFile(nodes), "utf8")) as NodeAddress
    return nodes.find((node) => node.host === remembered.host && node.port === remembered.port)
  } catch {
    return undefined
  }
}

export const rememberLeader = (nodes: ReadonlyArray<NodeAddress>, leader: NodeAddress): void => {
  try {
    fs.writeFileSync(cacheFile(nodes), JSON.stringify({ host: leader.host, port: leader.port }))
  } catch {
    // A read-only temp folder only costs a redirect next time.
  }
}

export const forgetLeader = (nodes: ReadonlyArray<NodeAddress>): void => {
  fs.rmSync(cacheFile(nodes), { force: true })
}

/** A fresh client identity per process; one write per process makes seq 1 enough. */
export const clientIdentity = (): Record<string, string> => ({
  "x-troupe-client": crypto.randomBytes(9).toString("base64url"),
  "x-troupe-seq": "1"
})
