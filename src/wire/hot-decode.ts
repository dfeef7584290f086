/**
 * Hand-written decoders for the two messages that carry nearly all peer traffic under load
 * (AppendEntries and its response). They accept exactly what the Schemas in src/raft/messages.ts
 * accept and build the same values (known fields only, in Schema order), at a fraction of the
 * cost: Schema's generic walk costs about 3 µs per log entry, which was the largest single item
 * of a follower's CPU per write. Anything else, or anything these refuse, goes to the Schema
 * decoder, which stays the authority on what is valid (test/wire/hot-decode.test.ts checks that
 * both agree on random and mutated messages).
 */
import { Predicate } from "effect"
import type { AppendEntries, AppendEntriesResponse, Entry } from "../raft/messages.js"

type Json = Record<string, unknown>

const NODE_ID_MAX = 300

const isCount = (value: unknown): value is number => typeof value === "number" && Number.isSafeInteger(value) && value >= 0
const isNodeId = (value: unknown): value is string =>
  typeof value === "string" && value.length >= 1 && value.length <= NODE_ID_MAX

const entryOf = (value: unknown): Entry | undefined => {
  if (!Predicate.isRecord(value)) return undefined
  const { data, index, kind, term } = value
  if (!isCount(term) || !isCount(index) || (kind !== "command" && kind !== "noop") || typeof data !== "string") return undefined
  return { term, index, kind, data }
}

const appendEntriesOf = (json: Json): AppendEntries | undefined => {
  const { entries, leader, leaderCommit, prevLogIndex, prevLogTerm, readRound, term } = json
  if (!isCount(term) || !isNodeId(leader) || !isCount(prevLogIndex) || !isCount(prevLogTerm)) return undefined
  if (!isCount(leaderCommit) || !isCount(readRound) || !Array.isArray(entries)) return undefined
  const decoded: Array<Entry> = new Array(entries.length)
  for (let i = 0; i < entries.length; i++) {
    const entry = entryOf(entries[i])
    if (entry === undefined) return undefined
    decoded[i] = entry
  }
  return { _tag: "AppendEntries", term, leader, prevLogIndex, prevLogTerm, entries: decoded, leaderCommit, readRound }
}

const appendEntriesResponseOf = (json: Json): AppendEntriesResponse | undefined => {
  const { conflictIndex, conflictTerm, lastLogIndex, matchIndex, readRound, rejectedIndex, success, term } = json
  if (!isCount(term) || typeof success !== "boolean" || !isCount(matchIndex) || !isCount(conflictIndex)) return undefined
  if (!isCount(conflictTerm) || !isCount(lastLogIndex) || !isCount(rejectedIndex) || !isCount(readRound)) return undefined
  return {
    _tag: "AppendEntriesResponse", term, success, matchIndex, conflictIndex, conflictTerm, lastLogIndex, rejectedIndex, readRound
  }
}

/** The decoded message if `json` is a valid AppendEntries or response; undefined for anything else. */
export const decodeHotMessage = (json: unknown): AppendEntries | AppendEntriesResponse | undefined => {
  if (!Predicate.isRecord(json)) return undefined
  if (json._tag === "AppendEntries") return appendEntriesOf(json)
  if (json._tag === "AppendEntriesResponse") return appendEntriesResponseOf(json)
  return undefined
}
