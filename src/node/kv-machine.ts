/**
 * The KV actor as a replicated state machine for the Raft role: log entries are KvCommand JSON.
 * A malformed entry cannot come from troupe's own proposals; if one appears it is refused
 * deterministically (same result on every replica) and counted, never thrown.
 */
import { Either, Schema } from "effect"
import type { TroupeConfig } from "../../config/schema.js"
import { KvCommand, type KvQuery, type KvResult } from "../../actors/kv/commands.js"
import {
  answerQuery, applyCommand, emptyKvState, type KvState, restoreKv, snapshotKv
} from "../../actors/kv/state-machine.js"
import type { ReplicatedStateMachine } from "../roles/state-machine.js"

const decodeCommand = Schema.decodeUnknownEither(Schema.parseJson(KvCommand))

export interface KvMachine extends ReplicatedStateMachine {
  readonly query: (query: KvQuery) => KvResult
  readonly malformedEntries: () => number
}

export const makeKvMachine = (limits: TroupeConfig["kv"]): KvMachine => {
  let state: KvState = emptyKvState()
  let malformed = 0
  return {
    apply: (data) => {
      const command = decodeCommand(data)
      if (Either.isLeft(command)) {
        malformed++
        return { _tag: "refused", reason: "malformed command" } satisfies KvResult
      }
      return applyCommand(state, command.right, limits)
    },
    snapshot: () => snapshotKv(state),
    restore: (data) => { state = restoreKv(data) },
    reset: () => { state = emptyKvState() },
    query: (query) => answerQuery(state, query, limits),
    malformedEntries: () => malformed
  }
}

export const encodeCommand = (command: KvCommand): string => JSON.stringify(command)
