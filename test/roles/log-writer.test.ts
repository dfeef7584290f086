/**
 * The Raft role's log writer: one write at a time, everything queued meanwhile written together,
 * durability reported only after the write, `drained` waiting for all of it, a failed write
 * ending the writer.
 */
import { describe, expect, it } from "@effect/vitest"
import { Deferred, Effect, Exit, Fiber } from "effect"
import type { RaftOutput } from "../../src/raft/index.js"
import { emptyOutput } from "../../src/raft/output.js"
import { makeLogWriter } from "../../src/roles/log-writer.js"
import { StorageError } from "../../src/storage/Storage.js"

const entriesOutput = (...indices: ReadonlyArray<number>): RaftOutput => {
  const output = emptyOutput()
  for (const index of indices) output.persist.entries.push({ term: 1, index, kind: "command", data: `v${index}` })
  return output
}

const indicesOf = (outputs: ReadonlyArray<RaftOutput>) => outputs.flatMap((output) => output.persist.entries.map((entry) => entry.index))

describe("log writer", () => {
  it.effect("writes what was queued during a write as one group, and reports each group durable after its write", () =>
    Effect.gen(function*() {
      const writes: Array<ReadonlyArray<number>> = []
      const durable: Array<string> = []
      const gates = [yield* Deferred.make<void>(), yield* Deferred.make<void>()]
      const writer = makeLogWriter(
        (outputs) => {
          const gate = gates[writes.length]!
          writes.push(indicesOf(outputs))
          return Deferred.await(gate)
        },
        (index, term) => durable.push(`${index}@${term}`)
      )
      const running = yield* Effect.fork(writer.run)
      writer.enqueue([entriesOutput(1)], 1, 1)
      yield* Effect.yieldNow()
      expect(writes).toEqual([[1]])
      // Queued while the first write is under way; an output with nothing to write is skipped.
      writer.enqueue([entriesOutput(2, 3), emptyOutput()], 3, 1)
      writer.enqueue([entriesOutput(4)], 4, 1)
      const drained = yield* Effect.fork(writer.drained)
      yield* Effect.yieldNow()
      expect(durable).toEqual([])
      yield* Deferred.succeed(gates[0]!, undefined)
      for (let turn = 0; turn < 20 && writes.length < 2; turn++) yield* Effect.yieldNow()
      expect(durable).toEqual(["1@1"])
      expect(writes).toEqual([[1], [2, 3, 4]])
      expect(drained.unsafePoll()).toBeNull()
      yield* Deferred.succeed(gates[1]!, undefined)
      yield* Fiber.join(drained)
      expect(durable).toEqual(["1@1", "4@1"])
      // Nothing queued: drained is immediate.
      yield* writer.drained
      yield* Fiber.interrupt(running)
    }))

  it.effect("a failed write ends the writer with its error, and nothing is reported durable", () =>
    Effect.gen(function*() {
      const durable: Array<number> = []
      const writer = makeLogWriter(
        () => Effect.fail(new StorageError({ operation: "writeAt", name: "wal-00000001.log", cause: "disk full" })),
        (index) => durable.push(index)
      )
      const running = yield* Effect.fork(writer.run)
      writer.enqueue([entriesOutput(1)], 1, 1)
      const exit = yield* Fiber.await(running)
      expect(Exit.isFailure(exit)).toBe(true)
      expect(durable).toEqual([])
    }))

  it.effect("reset forgets what was queued (the role rebuilds from the disk)", () =>
    Effect.gen(function*() {
      const writes: Array<ReadonlyArray<number>> = []
      const writer = makeLogWriter((outputs) => Effect.sync(() => { writes.push(indicesOf(outputs)) }), () => {})
      writer.enqueue([entriesOutput(1)], 1, 1)
      writer.reset()
      yield* writer.drained
      const running = yield* Effect.fork(writer.run)
      yield* Effect.yieldNow()
      expect(writes).toEqual([])
      writer.enqueue([entriesOutput(5)], 5, 2)
      yield* writer.drained
      expect(writes).toEqual([[5]])
      yield* Fiber.interrupt(running)
    }))
})
