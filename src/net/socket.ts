/**
 * Small Effect wrappers over node:net sockets used by the peer links.
 */
import * as net from "node:net"
import { Data, type Duration, Effect, type Scope } from "effect"

export class ConnectError extends Data.TaggedError("ConnectError")<{
  readonly address: string
  readonly cause: unknown
}> {
  override get message(): string {
    return `cannot connect to ${this.address}: ${String(this.cause)}`
  }
}

export interface ConnectTarget {
  readonly host: string
  readonly port: number
  /** Bind before connect: peers see the connection come FROM this node's own address. */
  readonly localAddress: string
}

const noop = (): void => {}

/** An open socket, destroyed when the scope closes. Errors after connect are swallowed: watch "close". */
export const connectSocket = (
  target: ConnectTarget,
  timeout: Duration.DurationInput
): Effect.Effect<net.Socket, ConnectError, Scope.Scope> => {
  const address = `${target.host}:${target.port}`
  const open = Effect.async<net.Socket, ConnectError>((resume) => {
    const socket = net.connect({ host: target.host, port: target.port, localAddress: target.localAddress, noDelay: true })
    const onError = (cause: Error): void => {
      socket.destroy()
      resume(Effect.fail(new ConnectError({ address, cause })))
    }
    socket.once("error", onError)
    socket.once("connect", () => {
      socket.off("error", onError)
      socket.on("error", noop)
      socket.setKeepAlive(true)
      resume(Effect.succeed(socket))
    })
    return Effect.sync(() => socket.destroy())
  }).pipe(
    Effect.timeoutFail({ duration: timeout, onTimeout: () => new ConnectError({ address, cause: "connect timed out" }) })
  )
  // Interruptible acquire: a connect in progress is abandoned (its socket destroyed) at once
  // when the timeout fires or the scope closes.
  return Effect.acquireRelease(Effect.interruptible(open), (socket) => Effect.sync(() => socket.destroy()))
}

/** Completes when the socket has closed (for any reason). */
export const awaitClose = (socket: net.Socket): Effect.Effect<void> =>
  Effect.async<void>((resume) => {
    if (socket.destroyed) return resume(Effect.void)
    const onClose = (): void => resume(Effect.void)
    socket.once("close", onClose)
    return Effect.sync(() => socket.off("close", onClose))
  })

/** Completes when the socket's write buffer has drained below its high-water mark. */
export const awaitDrain = (socket: net.Socket): Effect.Effect<void> =>
  Effect.async<void>((resume) => {
    if (!socket.writableNeedDrain) return resume(Effect.void)
    const onDrain = (): void => resume(Effect.void)
    socket.once("drain", onDrain)
    return Effect.sync(() => socket.off("drain", onDrain))
  })
