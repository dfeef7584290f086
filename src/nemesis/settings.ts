/**
 * What one nemesis run does: how long, how many nodes and clients, which faults, and the pacing
 * of the fault schedule. Network and client timeouts come from the decoded `TroupeConfig`; the
 * pacing here is the nemesis's own (there is no config section for it), named in one place.
 */
export type FaultKind = "kill" | "pause" | "partition"

export const faultKinds: ReadonlyArray<FaultKind> = ["kill", "pause", "partition"]

export interface NemesisSettings {
  readonly durationMs: number
  readonly nodes: number
  readonly faults: ReadonlyArray<FaultKind>
  /** Clients speaking raw HTTP with keep-alive, each on its own connection. */
  readonly httpClients: number
  /** Clients that run one `troupe-client` process per operation. */
  readonly cliClients: number
  readonly keys: number
  readonly seed: number
  /** Healthy time before the first fault. */
  readonly warmupMs: number
  /** How long one fault stays in force (killed, paused, cut off). */
  readonly faultActiveMs: number
  /** Healthy time after a fault heals, before the next one. */
  readonly quietMs: number
  /** Healthy time at the end of the run: every fault has healed, the cluster must serve again. */
  readonly cooldownMs: number
  /** Upper bound of a client's random pause between two operations. */
  readonly maxThinkMs: number
  /** A client keeps retrying one operation (same client id and seq) until this deadline. */
  readonly operationDeadlineMs: number
  /** A successful attempt slower than this counts as a stall in the availability windows. */
  readonly stallMs: number
  /** How long the cluster may take to elect its first leader. */
  readonly startupTimeoutMs: number
  /** Largest log file kept per node; later lines are dropped (and the drop is noted). */
  readonly maxNodeLogBytes: number
}

export const defaultSettings = (overrides: Partial<NemesisSettings> = {}): NemesisSettings => ({
  durationMs: 60_000,
  nodes: 3,
  faults: faultKinds,
  httpClients: 4,
  cliClients: 1,
  keys: 5,
  seed: Date.now() >>> 0,
  warmupMs: 2_000,
  faultActiveMs: 3_000,
  quietMs: 3_000,
  cooldownMs: 3_000,
  maxThinkMs: 30,
  operationDeadlineMs: 4_000,
  stallMs: 500,
  startupTimeoutMs: 20_000,
  maxNodeLogBytes: 16 * 1024 * 1024,
  ...overrides
})

/** Parses `kill,pause,partition`; an unknown name is reported, not ignored. */
export const parseFaultKinds = (text: string): ReadonlyArray<FaultKind> | string => {
  const names = text.split(",").map((name) => name.trim()).filter((name) => name !== "")
  const unknown = names.filter((name) => !faultKinds.includes(name as FaultKind))
  if (unknown.length > 0) return `unknown fault(s): ${unknown.join(", ")} (known: ${faultKinds.join(", ")})`
  return [...new Set(names as Array<FaultKind>)]
}

/** Bounds checked before anything starts: loopback has room for 200 nodes, not more. */
export const settingsProblem = (settings: NemesisSettings): string | undefined => {
  if (!Number.isInteger(settings.nodes) || settings.nodes < 1 || settings.nodes > 9) return "--nodes must be 1..9"
  if (settings.durationMs < 5_000 || settings.durationMs > 3_600_000) return "--duration must be 5..3600 seconds"
  if (settings.httpClients + settings.cliClients < 1 || settings.httpClients + settings.cliClients > 64) {
    return "between 1 and 64 clients"
  }
  if (settings.keys < 1 || settings.keys > 1000) return "--keys must be 1..1000"
  return undefined
}
