/**
 * Real troupe node processes on loopback for tests: 127.0.0.1, .2, .3 ... sharing one random
 * high port number, each with its own temp data folder. Everything started is killed by `stopAll`.
 */
import * as childProcess from "node:child_process"
import * as fs from "node:fs"
import * as os from "node:os"
import * as path from "node:path"

export const bin = path.resolve("dist/bin")
export const built = fs.existsSync(path.join(bin, "troupe.mjs"))

export interface TestCluster {
  readonly hosts: ReadonlyArray<string>
  readonly dir: string
  readonly start: (self: number, options?: { readonly runtime?: "node" | "deno"; readonly config?: object }) => childProcess.ChildProcess
  readonly stopAll: () => void
}

export const testCluster = (size: number): TestCluster => {
  const port = 20000 + Math.floor(Math.random() * 20000)
  const hosts = Array.from({ length: size }, (_, i) => `127.0.0.${i + 1}:${port}`)
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "troupe-test-"))
  fs.writeFileSync(path.join(dir, "servers.txt"), hosts.join("\n") + "\n")
  const children: Array<childProcess.ChildProcess> = []
  return {
    hosts,
    dir,
    start: (self, options = {}) => {
      const script = path.join(bin, options.runtime === "deno" ? "troupe-deno.mjs" : "troupe.mjs")
      const args = [script, "node", "--servers", path.join(dir, "servers.txt"), "--self", String(self), "--data", path.join(dir, `data${self}`)]
      if (options.config !== undefined) {
        const file = path.join(dir, `config${self}.json`)
        fs.writeFileSync(file, JSON.stringify(options.config))
        args.push("--config", file)
      }
      const child = childProcess.spawn(process.execPath, args, {
        stdio: ["ignore", "ignore", "inherit"],
        env: { ...process.env, TROUPE_SECRET: "troupe-test-cluster-secret" }
      })
      children.push(child)
      return child
    },
    stopAll: () => {
      for (const child of children) if (child.exitCode === null && child.signalCode === null) child.kill("SIGKILL")
      fs.rmSync(dir, { recursive: true, force: true })
    }
  }
}

export const httpGet = async (host: string, target: string): Promise<{ status: number; body: string }> => {
  const response = await fetch(`http://${host}${target}`, { signal: AbortSignal.timeout(5000) })
  return { status: response.status, body: await response.text() }
}

/** Polls `attempt` until it returns a value: at most 200 tries, 100 ms apart. */
export const eventually = async <A>(attempt: () => Promise<A | undefined>): Promise<A> => {
  for (let i = 0; i < 200; i++) {
    const value = await attempt().catch(() => undefined)
    if (value !== undefined) return value
    await new Promise((resolve) => setTimeout(resolve, 100))
  }
  throw new Error("condition not reached within 20 s")
}
