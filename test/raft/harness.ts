/**
 * A pure, deterministic in-memory Raft cluster for tests: seeded message drop/delay/duplicate/
 * reorder, partitions, crash + restart from what was persisted (volatile state is lost), and
 * the safety checks of Raft Figure 3 run on every step:
 *  - Election Safety: at most one leader per term;
 *  - Leader Completeness: a new leader holds every entry already applied anywhere;
 *  - State Machine Safety: every node applies the same entry at each index;
 *  - Log Matching (checkLogMatching): same index and term => identical prefixes.
 * A violation throws `SafetyViolation` naming the seed.
 */
import { Either } from "effect"
import type { RaftCoreConfig } from "../../src/raft/config.js"
import type { Entry, RaftMessage } from "../../src/raft/messages.js"
import { nextFloat } from "../../src/raft/prng.js"
import { initialState, type PersistedRaft } from "../../src/raft/state.js"
import { step } from "../../src/raft/step.js"
import { onlyEntries } from "../../src/roles/log-writer.js"
import type { HardState, PersistOutput, RaftInput, RaftOutput, RaftState, Snapshot } from "../../src/raft/types.js"

export class SafetyViolation extends Error {}

export const testConfig = (overrides: Partial<RaftCoreConfig> = {}): RaftCoreConfig => ({
  electionTicksMin: 15,
  electionTicksMax: 30,
  heartbeatTicks: 5,
  maxEntriesPerAppend: 4,
  maxBytesPerAppend: 64,
  maxInflightAppends: 3,
  maxPendingProposals: 1000,
  maxPendingReads: 100,
  maxApplyEntriesPerStep: 1000,
  maxSnapshotBytes: 1 << 20,
  ...overrides
})

export interface Faults {
  readonly dropRate: number
  readonly duplicateRate: number
  /** Extra delivery delay drawn uniformly in [0, maxDelayTicks]: reorders messages. */
  readonly maxDelayTicks: number
}

export const noFaults: Faults = { dropRate: 0, duplicateRate: 0, maxDelayTicks: 0 }

interface InFlight {
  readonly from: string
  readonly to: string
  readonly message: RaftMessage
  readonly deliverAt: number
  readonly seq: number
}

/** What a node made durable: rebuilt from persist outputs exactly as a shell would write it. */
interface Durable {
  hardState: HardState
  snapshot: Snapshot | undefined
  entries: Array<Entry>
}

/** The replicated state machine: the list of applied entries, snapshotted as JSON. */
interface Machine {
  applied: Array<{ term: number; data: string }>
}

export interface SimNode {
  readonly id: string
  state: RaftState | undefined
  readonly durable: Durable
  machine: Machine
  /** Restarts so far, to vary the PRNG seed of each incarnation. */
  incarnation: number
  /** A leader's entry writes still under way (lazyLeaderWriteTicks), oldest first; lost in a crash. */
  writing: Array<{ readonly persist: PersistOutput; readonly index: number; readonly term: number; readonly durableAt: number }>
}

export interface ClusterOptions {
  readonly size: number
  readonly seed: number
  readonly config?: RaftCoreConfig
  readonly faults?: Faults
  /** Compact when this many applied entries are past the last snapshot (0 = never). */
  readonly compactEvery?: number
  /** Chance that a node crashes right after persisting a step's output, before sending it. */
  readonly crashBeforeSendRate?: number
  /**
   * As the live shell does, a leader does not wait for a write of its own new entries: they
   * become durable (and reported, LogDurable) up to this many ticks later, and a crash before
   * loses them. 0: every write is durable at once.
   */
  readonly lazyLeaderWriteTicks?: number
}

export class Cluster {
  readonly ids: ReadonlyArray<string>
  readonly nodes = new Map<string, SimNode>()
  readonly config: RaftCoreConfig
  faults: Faults
  now = 0
  private rng: number
  private seq = 0
  private queue: Array<InFlight> = []
  private group = new Map<string, number>()
  /** term -> leader seen in that term. */
  readonly leaders = new Map<number, string>()
  /** index -> the entry first applied there (by any node). */
  readonly applied = new Map<number, { term: number; data: string }>()
  /** Optional filter: return false to drop a message at send time. */
  filter: ((from: string, to: string, message: RaftMessage) => boolean) | undefined
  readonly sent: Array<{ from: string; to: string; message: RaftMessage }> = []
  recordSent = false
  /** Sees every output after it was processed (persisted, sent, applied). */
  onOutput: ((id: string, output: RaftOutput) => void) | undefined
  private readonly compactEvery: number
  crashBeforeSendRate: number

  constructor(readonly options: ClusterOptions) {
    this.ids = Array.from({ length: options.size }, (_, i) => `n${i + 1}`)
    this.config = options.config ?? testConfig()
    this.faults = options.faults ?? noFaults
    this.rng = options.seed
    this.compactEvery = options.compactEvery ?? 0
    this.crashBeforeSendRate = options.crashBeforeSendRate ?? 0
    for (const id of this.ids) {
      const node: SimNode = {
        id, state: undefined, durable: { hardState: { term: 0, vote: null }, snapshot: undefined, entries: [] },
        machine: { applied: [] }, incarnation: 0, writing: []
      }
      this.nodes.set(id, node)
      this.boot(node)
    }
  }

  fail(problem: string): never {
    throw new SafetyViolation(`seed ${this.options.seed} tick ${this.now}: ${problem}`)
  }

  random(): number {
    const draw = nextFloat(this.rng)
    this.rng = draw.seed
    return draw.value
  }

  node(id: string): SimNode {
    return this.nodes.get(id)!
  }

  stateOf(id: string): RaftState {
    const state = this.node(id).state
    if (state === undefined) return this.fail(`${id} is down`)
    return state
  }

  private boot(node: SimNode): void {
    const persisted: PersistedRaft = {
      hardState: node.durable.hardState, snapshot: node.durable.snapshot, entries: node.durable.entries
    }
    const seed = this.options.seed * 7919 + this.ids.indexOf(node.id) * 104729 + node.incarnation * 15485863
    const state = initialState({ self: node.id, peers: this.ids, config: this.config, seed, persisted })
    if (Either.isLeft(state)) return this.fail(`${node.id} cannot restart: ${state.left.message}`)
    node.state = state.right
    const snapshot = node.durable.snapshot
    node.machine = { applied: snapshot === undefined ? [] : JSON.parse(snapshot.data) }
  }

  crash(id: string): void {
    this.node(id).state = undefined
    this.node(id).writing = []
  }

  restart(id: string): void {
    const node = this.node(id)
    if (node.state !== undefined) return
    node.incarnation++
    this.boot(node)
  }

  isolate(id: string): void {
    this.group.set(id, 1000 + this.ids.indexOf(id))
  }

  /** Splits into the given groups; nodes not named stay in group 0. */
  partition(...groups: ReadonlyArray<ReadonlyArray<string>>): void {
    this.group.clear()
    groups.forEach((members, index) => members.forEach((id) => this.group.set(id, index + 1)))
  }

  heal(): void {
    this.group.clear()
  }

  connected(a: string, b: string): boolean {
    return (this.group.get(a) ?? 0) === (this.group.get(b) ?? 0)
  }

  live(): Array<SimNode> {
    return [...this.nodes.values()].filter((node) => node.state !== undefined)
  }

  /** The leader of the highest term among live nodes, if any. */
  leader(): string | undefined {
    let best: RaftState | undefined
    for (const node of this.live()) {
      const state = node.state!
      if (state.role === "leader" && (best === undefined || state.term > best.term)) best = state
    }
    return best?.self
  }

  /** Steps one node and processes its output in shell order: persist, send, apply. */
  stepNode(id: string, input: RaftInput): RaftOutput {
    const node = this.node(id)
    if (node.state === undefined) return this.fail(`stepping ${id} while down`)
    const { state, output } = step(node.state, input)
    node.state = state
    const { persist } = output
    const lazy = (this.options.lazyLeaderWriteTicks ?? 0) > 0 && state.role === "leader" && persist.entries.length > 0 &&
      onlyEntries(output)
    let reported = false
    if (lazy) {
      const durableAt = Math.max(node.writing.at(-1)?.durableAt ?? 0, this.now + Math.floor(this.random() * (this.options.lazyLeaderWriteTicks! + 1)))
      node.writing.push({ persist, index: state.log.lastIndex, term: state.term, durableAt })
    } else {
      // Any other write waits for those under way (they are one ordered log).
      reported = this.finishWrites(node, Infinity) || persist.entries.length > 0
      this.persist(node, persist)
    }
    if (this.crashBeforeSendRate > 0 && input._tag !== "Compact" && input._tag !== "LogDurable" && this.random() < this.crashBeforeSendRate) {
      this.crash(id)
      return output
    }
    for (const { to, message } of output.messages) this.enqueue(id, to, message)
    this.applyOutput(node, output)
    this.checkLeader(state)
    this.onOutput?.(id, output)
    // As the shell does once the write is done: a leader may count its own entries from now on.
    if (reported && node.state !== undefined && state.role === "leader") {
      this.stepNode(id, { _tag: "LogDurable", index: state.log.lastIndex, term: state.term })
    }
    return output
  }

  /** Makes the writes under way that are done by `now` durable, in order; says whether there were any. */
  private finishWrites(node: SimNode, now: number): boolean {
    let finished = 0
    while (finished < node.writing.length && node.writing[finished]!.durableAt <= now) this.persist(node, node.writing[finished++]!.persist)
    node.writing = node.writing.slice(finished)
    return finished > 0
  }

  private persist(node: SimNode, persist: PersistOutput): void {
    const durable = node.durable
    if (persist.hardState !== undefined) durable.hardState = persist.hardState
    if (persist.snapshot !== undefined) {
      const index = persist.snapshot.index
      durable.entries = durable.entries.filter((entry) => entry.index > index)
      durable.snapshot = persist.snapshot
    }
    if (persist.truncateFrom !== undefined) {
      const from = persist.truncateFrom
      durable.entries = durable.entries.filter((entry) => entry.index < from)
    }
    for (const entry of persist.entries) {
      const expected = (durable.entries[durable.entries.length - 1]?.index ?? durable.snapshot?.index ?? 0) + 1
      if (entry.index !== expected) this.fail(`${node.id} persisted entry ${entry.index}, expected ${expected}`)
      durable.entries.push(entry)
    }
  }

  private applyOutput(node: SimNode, output: RaftOutput): void {
    if (output.applySnapshot !== undefined) {
      node.machine = { applied: JSON.parse(output.applySnapshot.data) }
      node.machine.applied.forEach((entry, offset) => this.checkApplied(node.id, offset + 1, entry))
    }
    for (const entry of output.apply) {
      if (entry.index !== node.machine.applied.length + 1) {
        this.fail(`${node.id} applied index ${entry.index} after ${node.machine.applied.length}`)
      }
      const record = { term: entry.term, data: entry.data }
      this.checkApplied(node.id, entry.index, record)
      node.machine.applied.push(record)
    }
    const state = node.state!
    if (this.compactEvery > 0 && state.appliedIndex - state.log.snapshotIndex >= this.compactEvery) {
      const index = state.appliedIndex
      const data = JSON.stringify(node.machine.applied.slice(0, index))
      this.stepNode(node.id, { _tag: "Compact", index, data })
    }
  }

  private checkApplied(id: string, index: number, entry: { term: number; data: string }): void {
    const first = this.applied.get(index)
    if (first === undefined) this.applied.set(index, entry)
    else if (first.term !== entry.term || first.data !== entry.data) {
      this.fail(`state machine safety: ${id} applied ${JSON.stringify(entry)} at ${index}, another node applied ${JSON.stringify(first)}`)
    }
  }

  private checkLeader(state: RaftState): void {
    if (state.role !== "leader") return
    const known = this.leaders.get(state.term)
    if (known === state.self) return
    if (known !== undefined) this.fail(`election safety: ${known} and ${state.self} both lead term ${state.term}`)
    this.leaders.set(state.term, state.self)
    for (const [index, entry] of this.applied) {
      if (index <= state.log.snapshotIndex) continue
      if (state.log.termAt(index) !== entry.term || state.log.entryAt(index)?.data !== entry.data) {
        this.fail(`leader completeness: ${state.self} leads term ${state.term} without applied entry ${index}`)
      }
    }
  }

  private enqueue(from: string, to: string, message: RaftMessage): void {
    if (this.recordSent) this.sent.push({ from, to, message })
    if (this.filter !== undefined && !this.filter(from, to, message)) return
    if (this.faults.dropRate > 0 && this.random() < this.faults.dropRate) return
    const copies = this.faults.duplicateRate > 0 && this.random() < this.faults.duplicateRate ? 2 : 1
    for (let copy = 0; copy < copies; copy++) {
      const delay = this.faults.maxDelayTicks > 0 ? Math.floor(this.random() * (this.faults.maxDelayTicks + 1)) : 0
      this.queue.push({ from, to, message, deliverAt: this.now + 1 + delay, seq: this.seq++ })
    }
  }

  /** Delivers every message due now (including replies due now), bounded by `maxMessages`. */
  deliver(maxMessages = 100_000): number {
    let delivered = 0
    while (delivered < maxMessages) {
      const due = this.queue.filter((item) => item.deliverAt <= this.now)
      if (due.length === 0) break
      this.queue = this.queue.filter((item) => item.deliverAt > this.now)
      due.sort((a, b) => a.deliverAt - b.deliverAt || a.seq - b.seq)
      for (const item of due) {
        delivered++
        const target = this.node(item.to)
        if (target.state === undefined || !this.connected(item.from, item.to)) continue
        this.stepNode(item.to, { _tag: "Receive", from: item.from, message: item.message })
      }
      // Replies produced now are due next tick; only a zero-delay network re-enters this loop.
      if (!this.queue.some((item) => item.deliverAt <= this.now)) break
    }
    return delivered
  }

  /** One unit of time: every live node ticks, then due messages are delivered. */
  tick(): void {
    this.now++
    for (const node of this.live()) {
      const last = node.writing.filter((write) => write.durableAt <= this.now).at(-1)
      if (last !== undefined && this.finishWrites(node, this.now)) this.stepNode(node.id, { _tag: "LogDurable", index: last.index, term: last.term })
    }
    for (const node of this.live()) this.stepNode(node.id, { _tag: "Tick" })
    this.deliver()
  }

  /** Ticks until `done` holds, at most `maxTicks`; returns whether it held. */
  runUntil(done: () => boolean, maxTicks: number): boolean {
    for (let i = 0; i < maxTicks; i++) {
      if (done()) return true
      this.tick()
    }
    return done()
  }

  /** Lets messages travel without ticking any node: time passes for the network only. */
  flush(maxRounds = 50): void {
    for (let round = 0; round < maxRounds && this.queue.length > 0; round++) {
      this.now++
      this.deliver()
    }
  }

  /**
   * Scenario set-up: lets `candidate` time out now while the other live nodes' leader leases
   * have expired (as if an election timeout passed with no leader), then delivers the votes.
   */
  forceElection(candidate: string, maxRounds = 20): void {
    // Voters must not time out themselves meanwhile: park their timers, restore them after.
    const parkedTicks = this.config.electionTicksMax * 100
    const parked = new Map<string, number>()
    for (const node of this.live()) {
      if (node.id === candidate) continue
      parked.set(node.id, node.state!.randomizedElectionTicks)
      node.state!.electionElapsed = this.config.electionTicksMin
      node.state!.randomizedElectionTicks = parkedTicks
    }
    const state = this.stateOf(candidate)
    state.electionElapsed = state.randomizedElectionTicks - 1
    this.stepNode(candidate, { _tag: "Tick" })
    this.flush(maxRounds)
    for (const [id, ticks] of parked) {
      const voter = this.node(id).state
      if (voter !== undefined && voter.randomizedElectionTicks === parkedTicks) voter.randomizedElectionTicks = ticks
    }
  }

  /** One line per node, for failure messages. */
  summary(): string {
    return [...this.nodes.values()].map((node) => {
      const state = node.state
      if (state === undefined) return `${node.id}: down`
      const progress = [...state.progress].map(([peer, p]) => `${peer}:${p.mode}/m${p.match}/n${p.next}/i${p.inflight.length}`)
      return `${node.id}: ${state.role} term ${state.term} leader ${state.leader} commit ${state.commitIndex} ` +
        `applied ${node.machine.applied.length} log ${state.log.snapshotIndex}..${state.log.lastIndex} ${progress.join(" ")}`
    }).join("; ")
  }

  pendingMessages(): number {
    return this.queue.length
  }

  /** Log Matching: entries with the same index and term have identical prefixes. */
  checkLogMatching(): void {
    const live = this.live()
    for (let a = 0; a < live.length; a++) {
      for (let b = a + 1; b < live.length; b++) {
        const left = live[a]!.state!.log
        const right = live[b]!.state!.log
        const low = Math.max(left.snapshotIndex, right.snapshotIndex) + 1
        let top = Math.min(left.lastIndex, right.lastIndex)
        while (top >= low && left.termAt(top) !== right.termAt(top)) top--
        for (let index = low; index <= top; index++) {
          const x = left.entryAt(index)!
          const y = right.entryAt(index)!
          if (x.term !== y.term || x.data !== y.data) {
            this.fail(`log matching: ${live[a]!.id} and ${live[b]!.id} differ at ${index} below matching index ${top}`)
          }
        }
      }
    }
  }
}
