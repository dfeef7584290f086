/**
 * The Lab02 client: sends numbers one by one over TCP, prints each answer line, then
 * `Completed`. If the server is not there at the start, or goes away (or stops answering)
 * before the last answer, it fails with `ServerUnavailable`.
 */
import * as net from "node:net"
import { Data, Duration, Effect } from "effect"

/** The numbers the Lab02 client sends when given none. */
export const LAB02_NUMBERS: ReadonlyArray<string> = [
  "15492781", "15492787", "15492803", "15492811", "15492810", "15492833",
  "15492859", "15502547", "15520301", "15527509", "15522343", "1550784"
]

export class ServerUnavailable extends Data.TaggedError("ServerUnavailable")<{ readonly detail: string }> {
  override get message(): string {
    return "server unavailable"
  }
}

export interface PrimesClientOptions {
  readonly host: string
  readonly port: number
  readonly numbers: ReadonlyArray<string>
  /** How long one answer may take before the server counts as gone. */
  readonly answerTimeout: Duration.DurationInput
  /** An answer line longer than this is a broken server. */
  readonly maxLineBytes: number
  readonly print: (line: string) => void
}

export const runPrimesClient = (options: PrimesClientOptions): Effect.Effect<void, ServerUnavailable> =>
  Effect.async<void, ServerUnavailable>((resume) => {
    const answerTimeoutMs = Duration.toMillis(Duration.decode(options.answerTimeout))
    const socket = net.connect({ host: options.host, port: options.port })
    let next = 0
    let buffered = ""
    let settled = false
    let timer: ReturnType<typeof setTimeout> | undefined
    const settle = (outcome: Effect.Effect<void, ServerUnavailable>) => {
      if (settled) return
      settled = true
      clearTimeout(timer)
      socket.destroy()
      resume(outcome)
    }
    const fail = (detail: string) => settle(Effect.fail(new ServerUnavailable({ detail })))
    const sendNext = () => {
      if (next >= options.numbers.length) return settle(Effect.void)
      clearTimeout(timer)
      timer = setTimeout(() => fail("no answer in time"), answerTimeoutMs)
      socket.write(`${options.numbers[next++]}\n`)
    }
    socket.setEncoding("utf8")
    socket.on("connect", sendNext)
    socket.on("data", (chunk: string) => {
      buffered += chunk
      let newline = buffered.indexOf("\n")
      while (newline >= 0 && !settled) {
        options.print(buffered.slice(0, newline).replace(/\r$/, ""))
        buffered = buffered.slice(newline + 1)
        newline = buffered.indexOf("\n")
        sendNext()
      }
      if (buffered.length > options.maxLineBytes) fail("answer line too long")
    })
    socket.on("error", (error) => fail(error.message))
    socket.on("close", () => fail("connection closed"))
    return Effect.sync(() => {
      settled = true
      clearTimeout(timer)
      socket.destroy()
    })
  })
