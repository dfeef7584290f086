/**
 * A UDP relay on loopback between one client and a target that drops, duplicates and reorders
 * datagrams in both directions, driven by a seeded generator so a failing run can be replayed.
 */
import * as dgram from "node:dgram"
import { Effect } from "effect"

export interface RelayOptions {
  readonly target: { readonly host: string; readonly port: number }
  readonly seed: number
  readonly dropRate: number
  readonly duplicateRate: number
  /** Held back and sent after the next datagram (or after `holdMs`). */
  readonly reorderRate: number
  readonly holdMs?: number
}

export interface RelayStats {
  forwarded: number
  dropped: number
  duplicated: number
  reordered: number
}

export const startLossyRelay = (options: RelayOptions) =>
  Effect.acquireRelease(
    Effect.async<{ readonly port: number; readonly stats: RelayStats; readonly socket: dgram.Socket; readonly timers: Set<NodeJS.Timeout> }>((resume) => {
      let state = options.seed >>> 0 || 1
      const random = () => ((state = (Math.imul(state, 1664525) + 1013904223) >>> 0) / 2 ** 32)
      const stats: RelayStats = { forwarded: 0, dropped: 0, duplicated: 0, reordered: 0 }
      const socket = dgram.createSocket("udp4")
      const timers = new Set<NodeJS.Timeout>()
      let client: { host: string; port: number } | undefined
      const held = new Map<string, Buffer>()
      const emit = (bytes: Buffer, to: { host: string; port: number }) => {
        stats.forwarded++
        socket.send(bytes, to.port, to.host)
      }
      socket.on("error", () => undefined)
      socket.on("message", (bytes, remote) => {
        const fromTarget = remote.port === options.target.port && remote.address === options.target.host
        if (!fromTarget) client = { host: remote.address, port: remote.port }
        const to = fromTarget ? client : options.target
        if (to === undefined) return
        const direction = fromTarget ? "down" : "up"
        const roll = random()
        if (roll < options.dropRate) {
          stats.dropped++
          return
        }
        const previous = held.get(direction)
        if (previous === undefined && random() < options.reorderRate) {
          stats.reordered++
          held.set(direction, bytes)
          const timer = setTimeout(() => {
            timers.delete(timer)
            const stillHeld = held.get(direction)
            if (stillHeld === bytes) {
              held.delete(direction)
              emit(bytes, to)
            }
          }, options.holdMs ?? 5)
          timers.add(timer)
          return
        }
        emit(bytes, to)
        if (roll < options.dropRate + options.duplicateRate) {
          stats.duplicated++
          emit(bytes, to)
        }
        if (previous !== undefined) {
          held.delete(direction)
          emit(previous, to)
        }
      })
      socket.bind(0, "127.0.0.1", () => resume(Effect.succeed({ port: socket.address().port, stats, socket, timers })))
    }),
    (relay) =>
      Effect.sync(() => {
        for (const timer of relay.timers) clearTimeout(timer)
        relay.socket.close()
      })
  )
