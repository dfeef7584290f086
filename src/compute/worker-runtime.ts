/**
 * The worker side of the pool. It uses only what a web-standard worker has: `onmessage` and
 * `postMessage` on the global scope. Under Deno it runs as a plain module `Worker`; under Node
 * the pool's bootstrap (worker-host.ts) installs those two names over `worker_threads` first.
 */
import { Option } from "effect"
import { decodeWorkerJob, type WorkerReply } from "./worker-protocol.js"

/**
 * Handlers are pure functions of input validated on the calling thread; anything they throw
 * becomes a `Failed` reply. `never` admits handlers of any input type.
 */
export type HandlerTable = { readonly [op: string]: (input: never) => unknown }

interface WebWorkerScope {
  onmessage: ((event: { readonly data: unknown }) => void) | null
  postMessage(message: unknown): void
}

const describe = (error: unknown): string => (error instanceof Error ? error.message : String(error))

export const serveWorker = (handlers: HandlerTable): void => {
  const scope = globalThis as unknown as WebWorkerScope
  const reply = (message: WorkerReply) => scope.postMessage(message)
  scope.onmessage = (event) => {
    const job = decodeWorkerJob(event.data)
    // Nothing to answer to without an id; the pool's per-call timeout covers the caller.
    if (Option.isNone(job)) return
    const { id, op, input } = job.value
    const handler = Object.hasOwn(handlers, op) ? handlers[op] : undefined
    if (handler === undefined) return reply({ _tag: "Failed", id, error: `unknown operation "${op}"` })
    let output: unknown
    try {
      output = (handler as (input: unknown) => unknown)(input)
    } catch (error) {
      return reply({ _tag: "Failed", id, error: describe(error) })
    }
    try {
      reply({ _tag: "Done", id, output })
    } catch (error) {
      reply({ _tag: "Failed", id, error: `cannot send the result: ${describe(error)}` })
    }
  }
  reply({ _tag: "Ready" })
}
