/**
 * Decoding a log entry back into a `KvCommand`, on every replica for every applied write. Puts,
 * nearly all of the traffic, take a hand-written check that accepts exactly what the `Put`
 * Schema accepts (test/actors/kv-decode-command.test.ts holds both to agreement); everything else,
 * and everything it refuses, goes to the Schema, which stays the authority.
 */
import { Predicate } from "effect"
import { jsonDecoder, valueDecoder } from "../../src/wire/codec.js"
import { KvCommand } from "./commands.js"

const CLIENT_ID_MAX = 64

const putOf = (json: Record<string, unknown>): KvCommand | undefined => {
  const { client, key, seq, value } = json
  if (typeof key !== "string" || typeof value !== "string") return undefined
  if (client !== undefined && (typeof client !== "string" || client.length < 1 || client.length > CLIENT_ID_MAX)) return undefined
  if (seq !== undefined && (typeof seq !== "number" || !Number.isSafeInteger(seq) || seq <= 0)) return undefined
  if (client === undefined && seq === undefined) return { _tag: "put", key, value }
  if (seq === undefined) return { _tag: "put", key, value, client: client as string }
  if (client === undefined) return { _tag: "put", key, value, seq }
  return { _tag: "put", key, value, client: client as string, seq }
}

/** The fast path: a valid put, else undefined (left to the Schema). */
const putFastPath = (json: unknown): KvCommand | undefined =>
  Predicate.isRecord(json) && json._tag === "put" ? putOf(json) : undefined

/** The command in `json`, or undefined if it is not a valid KvCommand. */
export const decodeCommandValue: (json: unknown) => KvCommand | undefined = valueDecoder(KvCommand, putFastPath)

/** The command encoded in a log entry, or undefined if the text is not a valid KvCommand. */
export const decodeCommandJson: (text: string) => KvCommand | undefined = jsonDecoder(KvCommand, putFastPath)
