/**
 * Test helper: histories recorded from a simulated KV store with concurrent clients.
 *
 * Each client issues operations one after another with random gaps and durations; each
 * operation takes effect at a random instant strictly inside [call, ret] (or, for unknown and
 * failed ones, maybe never). Applying them in instant order gives outputs of a correct store.
 * Bugs are injected only where they are provably visible (see `inject*`), and counted.
 */
import type { Operation } from "../../src/check/history.js"

export type SimBug = "none" | "stale-read" | "lost-write"

export interface SimOptions {
  readonly seed: number
  readonly clients: number
  readonly operations: number
  readonly keys: number
  /** Fraction of operations whose outcome is unknown (ok: null). */
  readonly unknownRate: number
  /** Fraction of operations that fail (ok: false, no effect). */
  readonly failRate: number
  readonly bug: SimBug
  /** Chance to inject the bug where it would be visible. */
  readonly bugRate: number
  readonly maxDuration: number
}

export interface SimHistory {
  readonly operations: ReadonlyArray<Operation>
  /** Provably visible bugs injected. */
  readonly injected: number
}

/** mulberry32: small seeded generator, so a failing seed reproduces. */
export const seededRandom = (seed: number): (() => number) => {
  let a = seed >>> 0
  return () => {
    a = (a + 0x6d2b79f5) >>> 0
    let t = Math.imul(a ^ (a >>> 15), 1 | a)
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296
  }
}

interface Planned {
  readonly client: number
  readonly op: Operation["op"]
  readonly key: string
  readonly call: number
  readonly ret: number
  readonly instant: number
  readonly fate: "ok" | "failed" | "unknown"
  readonly applies: boolean
  readonly value: string | null
}

/** What a key holds, and what the write that put it there looked like (for bug injection). */
interface Version {
  readonly value: string | null
  readonly writerRet: number
  readonly writerDefinite: boolean
  readonly previous: string | null
}

const plan = (options: SimOptions, random: () => number): Array<Planned> => {
  const kinds: ReadonlyArray<Operation["op"]> = ["get", "get", "get", "put", "put", "put", "del", "cas", "cas"]
  const planned: Array<Planned> = []
  const perClient = Math.ceil(options.operations / options.clients)
  for (let client = 0; client < options.clients && planned.length < options.operations; client++) {
    let time = Math.floor(random() * options.maxDuration)
    for (let i = 0; i < perClient && planned.length < options.operations; i++) {
      const call = time + Math.floor(random() * 3)
      const ret = call + 1 + Math.floor(random() * options.maxDuration)
      const roll = random()
      const fate = roll < options.failRate ? "failed" : roll < options.failRate + options.unknownRate ? "unknown" : "ok"
      planned.push({
        client,
        op: kinds[Math.floor(random() * kinds.length)]!,
        key: `k${Math.floor(random() * options.keys)}`,
        call,
        ret,
        instant: call + 0.01 + 0.98 * random() * (ret - call),
        fate,
        applies: fate === "ok" || (fate === "unknown" && random() < 0.5),
        value: `v${client}-${i}`
      })
      time = ret
    }
  }
  return planned.sort((a, b) => a.instant - b.instant)
}

const record = (p: Planned, fields: Partial<Operation>): Operation => ({
  client: p.client,
  op: p.op,
  key: p.key,
  call: p.call,
  ret: p.fate === "unknown" ? null : p.ret,
  ok: p.fate === "ok" ? true : p.fate === "failed" ? false : null,
  ...fields
})

export const simulateRegister = (options: SimOptions): SimHistory => {
  const random = seededRandom(options.seed)
  const store = new Map<string, Version>()
  const operations: Array<Operation> = []
  let injected = 0
  const initial: Version = { value: null, writerRet: -Infinity, writerDefinite: false, previous: null }
  const write = (p: Planned, current: Version, value: string | null): void => {
    if (p.applies) {
      store.set(p.key, { value, writerRet: p.ret, writerDefinite: p.fate === "ok", previous: current.value })
    }
  }
  for (const p of plan(options, random)) {
    const current = store.get(p.key) ?? initial
    switch (p.op) {
      case "get": {
        // Stale read, provably visible: the value before a definite write (which reported the
        // old value or expected it, so it must follow the previous value's writer) that had
        // returned before this get was called. Values are unique, so nothing rewrites it.
        const visible = current.writerDefinite && current.writerRet < p.call && current.previous !== null
        const stale = options.bug === "stale-read" && p.fate === "ok" && visible && random() < options.bugRate
        if (stale) injected++
        operations.push(record(p, { output: stale ? current.previous : current.value }))
        break
      }
      case "put": {
        // Lost write: acknowledged with the old value, never applied. The next write reports
        // (or expects) that same non-null old value too; both cannot directly follow its writer.
        const lost = options.bug === "lost-write" && p.fate === "ok" && current.value !== null && random() < options.bugRate
        if (lost) injected++
        else write(p, current, p.value)
        operations.push(record(p, { value: p.value, output: current.value }))
        break
      }
      case "del":
        write(p, current, null)
        operations.push(record(p, { output: current.value }))
        break
      case "cas": {
        const expect = random() < 0.6 ? current.value : current.previous
        const success = current.value === expect
        if (success) write(p, current, p.value)
        operations.push(record(p, { value: p.value, expect, output: p.fate === "unknown" ? null : String(success) }))
        break
      }
    }
  }
  return { operations: [...operations, ...epilogue(operations, store)], injected }
}

/** One last sequential put per key, after everything: it reports each key's final value. */
const epilogue = (operations: ReadonlyArray<Operation>, store: Map<string, Version>): Array<Operation> => {
  let time = operations.reduce((latest, op) => Math.max(latest, op.ret ?? op.call), 0) + 1
  return [...store.entries()].map(([key, version]) => {
    const op: Operation = { client: "final", op: "put", key, value: "final", output: version.value, call: time, ret: time + 1, ok: true }
    time += 2
    return op
  })
}
