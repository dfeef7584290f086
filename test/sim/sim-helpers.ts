/** Shared helpers for the sim network tests. */
import { Duration, Effect, TestClock } from "effect"
import type { TroupeConfig } from "../../config/schema.js"
import { defaultConfig } from "../../src/config/load.js"
import type { Inbound } from "../../src/net/Transport.js"
import type { PeerMessage } from "../../src/wire/messages.js"

export const ping = (seq: number, sentAtMs = 0): PeerMessage => ({ _tag: "Ping", seq, sentAtMs })

export const seqOf = (inbound: Inbound): number => inbound.message._tag === "Ping" ? inbound.message.seq : -1

/** Lets every fiber run to its next wait without moving time (TestClock settles them). */
export const settle = TestClock.adjust(Duration.zero)

export const advanceMs = (millis: number) => TestClock.adjust(Duration.millis(millis))

export const configWithQueueCapacity = (capacity: number, maxFrameBytes?: number): TroupeConfig => {
  const base = defaultConfig()
  return {
    ...base,
    wire: { ...base.wire, peerSendQueueCapacity: capacity, maxFrameBytes: maxFrameBytes ?? base.wire.maxFrameBytes }
  }
}

/** Fate counts as a plain object, for readable assertions. */
export const countsOf = (counts: ReadonlyMap<string, number>): Record<string, number> => Object.fromEntries(counts)

/** Parses a message trace line: `time #id from>to Tag fate[ detail]`. */
export const parseLine = (line: string) => {
  const match = /^(\d+) #(\d+) (\S+)>(\S+) (\S+) (\S+)(?: (.*))?$/.exec(line)
  if (match === null) return undefined
  return {
    timeMs: Number(match[1]),
    id: Number(match[2]),
    from: match[3]!,
    to: match[4]!,
    tag: match[5]!,
    fate: match[6]!,
    detail: match[7] ?? ""
  }
}

export const receiveMany = <E, R>(receive: Effect.Effect<Inbound, E, R>, count: number) =>
  Effect.replicateEffect(receive, count)
