import { describe, expect, it } from "@effect/vitest"
import { Chunk, Duration, Effect, Schedule } from "effect"
import { defaultConfig } from "../../src/config/load.js"
import { reconnectSchedule } from "../../src/net/reconnect.js"

describe("reconnectSchedule", () => {
  it.effect("grows exponentially from reconnectBase, is capped at reconnectMax, and is jittered", () =>
    Effect.gen(function*() {
      const wire = defaultConfig().wire
      const baseMs = Duration.toMillis(wire.reconnectBase)
      const maxMs = Duration.toMillis(wire.reconnectMax)
      const attempts = 20
      const delays = yield* Schedule.run(Schedule.delays(reconnectSchedule(wire)), 0, Array(attempts).fill(undefined))
      const delaysMs = Chunk.toReadonlyArray(delays).map(Duration.toMillis)
      expect(delaysMs).toHaveLength(attempts)
      delaysMs.forEach((delayMs, attempt) => {
        const nominalMs = Math.min(baseMs * 2 ** attempt, maxMs)
        expect(delayMs).toBeGreaterThanOrEqual(nominalMs * 0.8)
        expect(delayMs).toBeLessThanOrEqual(nominalMs * 1.2)
      })
      // Jitter: the capped tail is not one repeated value.
      expect(new Set(delaysMs.slice(-10)).size).toBeGreaterThan(1)
    }))
})
