/**
 * One plain HTTP GET against a node, with a timeout, as an Effect. Shared by the CLI client, the
 * nemesis and the benchmarks; keep-alive agents are the caller's choice.
 */
import * as http from "node:http"
import { Data, Duration, Effect } from "effect"

export class NodeUnreachable extends Data.TaggedError("NodeUnreachable")<{
  readonly address: string
  readonly reason: string
}> {
  override get message(): string {
    return `${this.address}: ${this.reason}`
  }
}

export interface HttpAnswer {
  readonly status: number
  readonly body: string
  readonly headers: http.IncomingHttpHeaders
}

/** Most a node ever answers to a KV call: a key, a value and some framing. */
const MAX_ANSWER_BYTES = 1 << 20

export const httpGet = (
  address: { readonly host: string; readonly port: number },
  path: string,
  options: {
    readonly timeout: Duration.DurationInput
    readonly headers?: Record<string, string>
    readonly agent?: http.Agent
    readonly method?: string
    readonly body?: string
  }
): Effect.Effect<HttpAnswer, NodeUnreachable> =>
  Effect.async<HttpAnswer, NodeUnreachable>((resume, signal) => {
    const label = `${address.host}:${address.port}`
    const request = http.request({
      host: address.host,
      port: address.port,
      path,
      method: options.method ?? "GET",
      headers: options.headers,
      agent: options.agent ?? false,
      timeout: Duration.toMillis(options.timeout),
      signal
    }, (response) => {
      const chunks: Array<Buffer> = []
      let size = 0
      response.on("data", (chunk: Buffer) => {
        size += chunk.length
        if (size > MAX_ANSWER_BYTES) response.destroy(new Error("answer too large"))
        else chunks.push(chunk)
      })
      response.on("error", (error) => resume(Effect.fail(new NodeUnreachable({ address: label, reason: error.message }))))
      response.on("end", () =>
        resume(Effect.succeed({
          status: response.statusCode ?? 0,
          body: Buffer.concat(chunks).toString("utf8"),
          headers: response.headers
        })))
    })
    request.on("timeout", () => request.destroy(new Error(`no answer within ${Duration.format(options.timeout)}`)))
    request.on("error", (error) => resume(Effect.fail(new NodeUnreachable({ address: label, reason: error.message }))))
    request.end(options.body)
  })
