/**
 * The KV actor as a replicated state machine for the Raft role: log entries are KvCommand JSON.
 * A malformed entry cannot come from troupe's own proposals; if one appears it is refused
 * deterministically (same result on every replica) and counted, never thrown.
 */
import type { TroupeConfig } from "../../config/schema.js"
import type { KvCommand, KvQuery, KvResult } from "../../actors/kv/commands.js"
import { decodeCommandJson } from "../../actors/kv/decode-command.js"
import {
  answerQuery, applyCommand, emptyKvState, type KvState, restoreKv, snapshotKv
} from "../../actors/kv/state-machine.js"
import { captureKv } from "../../actors/kv/capture.js"
import type { ReplicatedStateMachine } from "../roles/state-machine.js"

export interface KvMachine extends ReplicatedStateMachine {
  readonly query: (query: KvQuery) => KvResult
  /** The whole snapshot at once (tests compare replicas with it). */
  readonly snapshot: () => string
  readonly malformedEntries: () => number
}

export const makeKvMachine = (limits: TroupeConfig["kv"]): KvMachine => {
  let state: KvState = emptyKvState()
  let malformed = 0
  return {
    apply: (data) => {
      const command = decodeCommandJson(data)
      if (command === undefined) {
        malformed++
        return { _tag: "refused", reason: "malformed command" } satisfies KvResult
      }
      return applyCommand(state, command, limits)
    },
    capture: () => captureKv(state),
    snapshot: () => snapshotKv(state),
    restore: (data) => { state = restoreKv(data) },
    reset: () => { state = emptyKvState() },
    query: (query) => answerQuery(state, query, limits),
    malformedEntries: () => malformed
  }
}

export const encodeCommand = (command: KvCommand): string => JSON.stringify(command)
