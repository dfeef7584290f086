/**
 * Starting one worker thread on the main side, behind a small handle, and finding the worker
 * entry file.
 *
 * Entry resolution (`resolveWorkerEntry`): next to this module we look for `worker.js` (the
 * tsc output in dist/, or a bundle whose build also emits `src/compute/worker.ts` as
 * `worker.js` beside it), then `worker.ts` (running from sources under vitest or tsx). A
 * caller can always pass its own entry URL instead.
 *
 * Node: a `worker_threads` Worker runs a tiny bootstrap that installs the web-standard
 * `self`/`onmessage`/`postMessage` over `parentPort`, then imports the entry (through tsx's
 * `tsImport` when the entry is TypeScript). Deno: a standard module `Worker` loads the entry
 * directly, since Deno has those globals and runs TypeScript itself.
 */
import * as fs from "node:fs"
import { createRequire } from "node:module"
import { fileURLToPath, pathToFileURL } from "node:url"
import { Worker as NodeWorker } from "node:worker_threads"

export interface WorkerEvents {
  readonly onMessage: (data: unknown) => void
  /** Called at most once, when the worker dies: uncaught error, exit, or failure to load. */
  readonly onExit: (reason: string) => void
}

export interface WorkerHandle {
  readonly post: (message: unknown) => void
  readonly terminate: () => Promise<void>
}

export type SpawnWorker = (entry: URL, events: WorkerEvents) => WorkerHandle

const exists = (url: URL): boolean => url.protocol !== "file:" || fs.existsSync(fileURLToPath(url))

/** The first of `name.js`, `name.ts` found next to `base` (default: this module). */
export const resolveWorkerEntry = (base: string | URL = import.meta.url, name = "worker"): URL => {
  const candidates = [new URL(`./${name}.js`, base), new URL(`./${name}.ts`, base)]
  const found = candidates.find(exists)
  if (found === undefined) {
    throw new Error(`compute worker entry not found: tried ${candidates.map((url) => url.href).join(", ")}`)
  }
  return found
}

/** tsx's ESM API, to load a TypeScript entry inside a worker (only needed when running from sources). */
const tsxLoaderUrl = (): string => {
  const require = createRequire(import.meta.url)
  // require.resolve picks the package's "require" export (.cjs); its "import" twin sits beside it.
  const esmPath = require.resolve("tsx/esm/api").replace(/\.cjs$/, ".mjs")
  return pathToFileURL(esmPath).href
}

const NODE_BOOTSTRAP = `
const { parentPort, workerData } = require("node:worker_threads");
globalThis.self = globalThis;
globalThis.postMessage = (message) => parentPort.postMessage(message);
parentPort.on("message", (data) => {
  const handler = globalThis.onmessage;
  if (typeof handler === "function") handler({ data });
});
const loading = workerData.loader === undefined
  ? import(workerData.entry)
  : import(workerData.loader).then((tsx) => tsx.tsImport(workerData.entry, workerData.entry));
loading.catch((error) => { setImmediate(() => { throw error; }); });
`

export const spawnNodeWorker: SpawnWorker = (entry, events) => {
  const loader = entry.pathname.endsWith(".ts") ? tsxLoaderUrl() : undefined
  const worker = new NodeWorker(NODE_BOOTSTRAP, {
    eval: true,
    workerData: loader === undefined ? { entry: entry.href } : { entry: entry.href, loader }
  })
  let exited = false
  const exit = (reason: string) => {
    if (exited) return
    exited = true
    events.onExit(reason)
  }
  worker.on("message", events.onMessage)
  worker.on("error", (error) => exit(`worker error: ${error.message}`))
  worker.on("exit", (code) => exit(`worker exited with code ${code}`))
  return {
    post: (message) => worker.postMessage(message),
    terminate: async () => {
      await worker.terminate()
    }
  }
}

interface WebWorker {
  onmessage: ((event: { readonly data: unknown }) => void) | null
  onerror: ((event: { readonly message?: string; preventDefault(): void }) => void) | null
  postMessage(message: unknown): void
  terminate(): void
}
type WebWorkerConstructor = new (url: string, options: { readonly type: "module" }) => WebWorker

export const spawnWebWorker: SpawnWorker = (entry, events) => {
  const WorkerClass = (globalThis as unknown as { Worker: WebWorkerConstructor }).Worker
  const worker = new WorkerClass(entry.href, { type: "module" })
  let exited = false
  worker.onmessage = (event) => events.onMessage(event.data)
  worker.onerror = (event) => {
    // Unhandled, a worker's error would be rethrown in the main thread and stop the node.
    event.preventDefault()
    if (exited) return
    exited = true
    events.onExit(`worker error: ${event.message ?? "unknown"}`)
  }
  return {
    post: (message) => worker.postMessage(message),
    terminate: async () => {
      exited = true
      worker.terminate()
    }
  }
}

/** Deno gets web workers (its worker_threads shim is incomplete); Node gets worker_threads. */
export const defaultSpawnWorker: SpawnWorker = "Deno" in globalThis ? spawnWebWorker : spawnNodeWorker
