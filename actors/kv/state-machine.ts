/**
 * The KV state machine, applied from the Raft log on every replica. It must be deterministic:
 * the same commands in the same order give the same state and results everywhere. Apply
 * mutates the state in place (the log may hold millions of writes; copying maps per write would
 * be quadratic); snapshots are plain JSON, taken without a copy (actors/kv/capture.ts).
 *
 * Exactly-once: each write carries (client, seq). The last seq and its result are kept per
 * client; a retried write with that seq returns the remembered result without applying again.
 * Sessions are forgotten least-recently-used first past `maxSessions`.
 */
import type { KvCommand, KvQuery, KvResult } from "./commands.js"

interface Session {
  readonly seq: number
  readonly result: KvResult
}

export interface KvState {
  readonly data: Map<string, string>
  readonly sessions: Map<string, Session>
  totalBytes: number
  /**
   * While a snapshot capture is open (actors/kv/capture.ts): each changed key's value from before
   * its first change since the capture, undefined for a key that did not exist.
   */
  preImages: Map<string, string | undefined> | undefined
}

export interface KvStateLimits {
  readonly maxSessions: number
  readonly maxTotalBytes: number
  readonly maxKeysListed: number
}

export const emptyKvState = (): KvState => ({ data: new Map(), sessions: new Map(), totalBytes: 0, preImages: undefined })

const sizeOf = (key: string, value: string | undefined): number =>
  value === undefined ? 0 : key.length + value.length

const write = (state: KvState, key: string, value: string | null, limits: KvStateLimits): KvResult | undefined => {
  const old = state.data.get(key)
  const nextTotal = state.totalBytes - sizeOf(key, old) + sizeOf(key, value ?? undefined)
  if (value !== null && nextTotal > limits.maxTotalBytes) {
    return { _tag: "refused", reason: `store is full (${limits.maxTotalBytes} bytes)` }
  }
  if (state.preImages !== undefined && !state.preImages.has(key)) state.preImages.set(key, old)
  if (value === null) state.data.delete(key)
  else state.data.set(key, value)
  state.totalBytes = nextTotal
  return undefined
}

const execute = (state: KvState, command: KvCommand, limits: KvStateLimits): KvResult => {
  const old = state.data.get(command.key) ?? null
  switch (command._tag) {
    case "put":
      return write(state, command.key, command.value, limits) ?? { _tag: "value", value: old }
    case "del":
      return write(state, command.key, null, limits) ?? { _tag: "value", value: old }
    case "cas": {
      if (old !== command.expect) return { _tag: "swapped", swapped: false, previous: old }
      return write(state, command.key, command.value, limits) ?? { _tag: "swapped", swapped: true, previous: old }
    }
  }
}

const remember = (state: KvState, client: string, session: Session, limits: KvStateLimits): void => {
  state.sessions.delete(client) // re-insert: Map order is recency order
  state.sessions.set(client, session)
  if (state.sessions.size > limits.maxSessions) {
    const oldest = state.sessions.keys().next()
    if (oldest.done !== true) state.sessions.delete(oldest.value)
  }
}

/** Applies one committed write, at most once per (client, seq). */
export const applyCommand = (state: KvState, command: KvCommand, limits: KvStateLimits): KvResult => {
  if (command.client === undefined || command.seq === undefined) return execute(state, command, limits)
  const session = state.sessions.get(command.client)
  if (session !== undefined && command.seq === session.seq) return session.result
  if (session !== undefined && command.seq < session.seq) {
    return { _tag: "refused", reason: `stale request: client ${command.client} is already at seq ${session.seq}` }
  }
  const result = execute(state, command, limits)
  remember(state, command.client, { seq: command.seq, result }, limits)
  return result
}

/** Answers a read; the caller guarantees linearizability (ReadIndex) before calling. */
export const answerQuery = (state: KvState, query: KvQuery, limits: KvStateLimits): KvResult => {
  switch (query._tag) {
    case "get":
      return { _tag: "value", value: state.data.get(query.key) ?? null }
    case "size":
      return { _tag: "count", count: state.data.size }
    case "keys": {
      const keys: Array<string> = []
      for (const key of state.data.keys()) {
        if (!key.startsWith(query.prefix)) continue
        if (keys.length === limits.maxKeysListed) return { _tag: "keys", keys: keys.sort(), truncated: true }
        keys.push(key)
      }
      return { _tag: "keys", keys: keys.sort(), truncated: false }
    }
    case "verify": {
      const session = state.sessions.get(query.client)
      return { _tag: "applied", applied: session !== undefined && session.seq >= query.seq }
    }
  }
}

interface KvSnapshot {
  readonly data: ReadonlyArray<readonly [string, string]>
  readonly sessions: ReadonlyArray<readonly [string, Session]>
}

export const snapshotKv = (state: KvState): string =>
  JSON.stringify({ data: [...state.data], sessions: [...state.sessions] } satisfies KvSnapshot)

/** The state a snapshot holds; a key the text holds twice (see actors/kv/capture.ts) has one value. */
export const restoreKv = (snapshot: string): KvState => {
  const parsed = JSON.parse(snapshot) as KvSnapshot
  const data = new Map(parsed.data)
  let totalBytes = 0
  for (const [key, value] of data) totalBytes += sizeOf(key, value)
  return { data, sessions: new Map(parsed.sessions), totalBytes, preImages: undefined }
}
