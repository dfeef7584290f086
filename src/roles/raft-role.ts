/**
 * The Raft role: the Effect shell around the pure core (src/raft). One fiber owns the core's
 * state. It drains its mailbox in batches, steps the core once per input (all proposals of a
 * batch as one Propose), then, in this order: persists every output with one fsync (group
 * commit, by the log writer), sends the messages, applies committed entries to the state machine
 * and answers the proposals and reads that were waiting for them. Nothing that depends on this
 * node's disk leaves it before the fsync; a leader's AppendEntries may, and a leader's loop does
 * not wait for its own new entries (see `flush` and log-writer.ts).
 */
import { Clock, Duration, Effect, Exit, Option, Scheduler } from "effect"
import type { TroupeConfig } from "../../config/schema.js"
import type { NodeId } from "../config/servers.js"
import type { Metrics } from "../node/metrics.js"
import type { TransportShape } from "../net/Transport.js"
import {
  coreConfigFrom, type Entry, initialState, type OutboundMessage, type RaftInitError, type RaftInput, type RaftMessage, type RaftOutput,
  type RaftState, type RaftStatus, type SoftState, statusOf, step
} from "../raft/index.js"
import type { StorageError } from "../storage/Storage.js"
import type { RaftStoreShape, WalError } from "../storage/wal.js"
import { makeBatchWriter } from "./batch-writer.js"
import { makeLogWriter, needsWrite, onlyEntries } from "./log-writer.js"
import { makeSnapshotTaker } from "./snapshot-taker.js"
import { ProposalWaiters, type Reply } from "./proposal-waiters.js"
import { NotLeader, RaftBusy, type RaftUnavailable, Suspended } from "./raft-errors.js"
import { KeyedFifo } from "../runtime/keyed-fifo.js"
import { onScheduler } from "../runtime/event-loop-turn-scheduler.js"
import { makeMailbox } from "../runtime/mailbox.js"
import type { ReplicatedStateMachine } from "./state-machine.js"

export type { Reply }

type RaftEvent =
  | { readonly _tag: "Tick" }
  | { readonly _tag: "Receive"; readonly from: NodeId; readonly message: RaftMessage }
  | { readonly _tag: "Propose"; readonly data: string; readonly done: Reply<unknown> }
  | { readonly _tag: "Read"; readonly done: Reply<void> }
  | { readonly _tag: "Transfer"; readonly to: NodeId | undefined }
  /** Wakes the loop: a write finished (see `durableReport`). */
  | { readonly _tag: "Durable" }

export type { RaftStatus }

export interface RaftRoleShape {
  readonly propose: (data: string) => Effect.Effect<unknown, RaftUnavailable>
  /** Resolves once this node may serve a linearizable read from its state machine. */
  readonly linearizableRead: Effect.Effect<void, RaftUnavailable>
  /** The same two without a fiber: `done` is called once, from the Raft loop (hot paths). */
  readonly proposeNow: (data: string, done: Reply<unknown>) => void
  readonly readNow: (done: Reply<void>) => void
  /** A message from a peer: queued at once, or dropped (and counted) when the mailbox is full. */
  readonly receiveNow: (from: NodeId, message: RaftMessage) => boolean
  readonly transferLeadership: (to?: NodeId) => Effect.Effect<void>
  readonly suspend: (duration: Duration.Duration) => Effect.Effect<void>
  readonly status: Effect.Effect<RaftStatus>
  /** The same, synchronously: for hot paths that only need the role or the leader. */
  readonly statusNow: () => RaftStatus
  /** The loop and its ticker: run under supervision for the node's lifetime. */
  readonly run: Effect.Effect<never, StorageError | WalError | RaftInitError>
}

export interface RaftRoleOptions {
  readonly self: NodeId
  readonly peers: ReadonlyArray<NodeId>
  readonly config: TroupeConfig
  readonly store: RaftStoreShape
  readonly transport: TransportShape
  readonly machine: ReplicatedStateMachine
  readonly metrics: Metrics
  /** Seeds the core's randomized election timeouts (a sim passes its own). */
  readonly seed: number
  /** Sees every applied entry, in order (the simulation checks state machine safety with it). */
  readonly onApply?: ((entry: Entry) => void) | undefined
  /** Sees every change of role, term or leader (the simulation checks election safety with it). */
  readonly onSoftState?: ((soft: SoftState) => void) | undefined
  /**
   * Where the loop fiber runs when it wakes. A live node passes `eventLoopTurnScheduler`
   * (src/runtime): the loop then wakes once per event-loop turn with everything that arrived in
   * it, instead of once per request. Simulations keep Effect's default (deterministic under
   * virtual time). With it, a snapshot being serialized pauses SNAPSHOT_PIECE_EVERY between its
   * pieces; without it, the pieces only yield to other fibers.
   */
  readonly loopScheduler?: Scheduler.Scheduler | undefined
}

const MAX_BATCH = 4096
/**
 * A live node's pause between two pieces of a snapshot: about 10% of a core while one is taken,
 * instead of all the CPU three nodes serializing at once left. One piece per event-loop turn
 * gave a write p99 of 16.0-20.8 ms in six alternating 15 s rounds, this pause 12.8-20.1 ms.
 */
const SNAPSHOT_PIECE_EVERY = Duration.millis(1)

export const makeRaftRole = (options: RaftRoleOptions): Effect.Effect<RaftRoleShape> =>
  Effect.gen(function*() {
    const { config, machine, metrics, store, transport } = options
    let state: RaftState
    let lastSnapshotIndex = 0
    const mailbox = makeMailbox<RaftEvent>(config.runtime.mailboxCapacity)
    /** Written by the loop after every batch; read by every request (cheap, no fiber). */
    let currentStatus: RaftStatus = bootingStatus(options.self)
    let suspendedUntilMs = 0
    /** Waiting proposals by log index: the order they were proposed in, and applied in. */
    const pendingProposals = new ProposalWaiters()
    const proposalTimeoutMs = Duration.toMillis(config.raft.proposalTimeout)
    const readWaiters = new KeyedFifo<Reply<void>>()
    const parkedReads: Array<{ index: number; done: Reply<void> }> = []
    let nextReadId = 1
    /** How far the log writer made the log durable since the loop last told the core (LogDurable). */
    let durableReport: { readonly index: number; readonly term: number } | undefined
    const snapshots = makeSnapshotTaker({
      machine,
      store,
      betweenSlices: options.loopScheduler === undefined ? Effect.yieldNow() : Effect.sleep(SNAPSHOT_PIECE_EVERY),
      // Tried again once another threshold's worth of entries is applied.
      onFailure: (index) => { lastSnapshotIndex = Math.max(lastSnapshotIndex, index) }
    })

    /**
     * (Re)builds the core from durable storage: at start and after the loop crashed (say, a
     * failed fsync), when memory may disagree with the disk. Waiters of the lost state fail.
     */
    const boot = Effect.gen(function*() {
      logWriter.reset()
      durableReport = undefined
      const persisted = yield* store.load
      machine.reset()
      if (Option.isSome(persisted.snapshot)) machine.restore(persisted.snapshot.value.data)
      lastSnapshotIndex = Option.match(persisted.snapshot, { onNone: () => 0, onSome: (snapshot) => snapshot.index })
      state = yield* initialState({
        self: options.self,
        peers: options.peers,
        config: coreConfigFrom(config.raft),
        seed: options.seed,
        persisted: {
          hardState: persisted.hardState,
          snapshot: Option.getOrUndefined(persisted.snapshot),
          entries: persisted.entries
        }
      })
      const lost = new NotLeader({ leader: null })
      pendingProposals.failAll()
      for (const [, done] of readWaiters.entries()) done(Exit.fail(lost))
      for (const parked of parkedReads) parked.done(Exit.fail(lost))
      readWaiters.clear()
      parkedReads.length = 0
      snapshots.reset()
      currentStatus = statusOf(state)
    })

    const clock = yield* Effect.clock
    const isSuspendedNow = () => clock.unsafeCurrentTimeMillis() < suspendedUntilMs

    /** Hands an event to the loop without waiting; a refusal is answered at once. */
    const enqueueNow = <A>(make: (done: Reply<A>) => RaftEvent, done: Reply<A>): void => {
      if (isSuspendedNow()) return done(Exit.fail(new Suspended({ untilMs: suspendedUntilMs })))
      if (!mailbox.offer(make(done))) done(Exit.fail(new RaftBusy({ reason: "raft mailbox is full" })))
    }

    const enqueueWithReply = <A>(make: (done: Reply<A>) => RaftEvent) =>
      Effect.async<A, RaftUnavailable>((resume) => enqueueNow(make, resume))

    /** Steps one input and folds its output into the batch being built. */
    const stepInto = (input: RaftInput, outputs: Array<RaftOutput>): RaftOutput => {
      const result = step(state, input)
      state = result.state
      outputs.push(result.output)
      return result.output
    }

    const applyOutput = (output: RaftOutput): void => {
      if (output.applySnapshot !== undefined) {
        machine.restore(output.applySnapshot.data)
        lastSnapshotIndex = output.applySnapshot.index
        pendingProposals.coveredBySnapshot(lastSnapshotIndex)
      }
      for (const entry of output.apply) {
        options.onApply?.(entry)
        const result = entry.kind === "command" ? machine.apply(entry.data, entry.index) : undefined
        pendingProposals.applied(entry.index, entry.term, result)
      }
      for (const ready of output.readsReady) {
        const done = readWaiters.take(ready.requestId)
        if (done === undefined) continue
        parkedReads.push({ index: ready.index, done })
      }
      for (const failed of output.readsFailed) {
        const done = readWaiters.take(failed.requestId)
        if (done !== undefined) done(Exit.fail(new NotLeader({ leader: failed.leader })))
      }
      if (output.softState?.role === "leader") metrics.inc("troupe_elections_won_total", "Elections this node won")
      if (output.softState !== undefined) {
        options.onSoftState?.(output.softState)
        metrics.inc("troupe_role_changes_total", "Role, term or leader changes seen")
      }
    }

    const releaseReads = (): void => {
      const applied = state.appliedIndex
      let kept = 0
      for (const parked of parkedReads) {
        if (parked.index > applied) parkedReads[kept++] = parked
        else parked.done(Exit.succeed(undefined))
      }
      parkedReads.length = kept
    }

    const answerProposals = (events: ReadonlyArray<Extract<RaftEvent, { _tag: "Propose" }>>, outputs: Array<RaftOutput>): void => {
      if (events.length === 0) return
      const output = stepInto({ _tag: "Propose", data: events.map((event) => event.data) }, outputs)
      if (output.proposed !== undefined) {
        const deadlineMs = clock.unsafeCurrentTimeMillis() + proposalTimeoutMs
        pendingProposals.add(output.proposed.firstIndex, output.proposed.term, deadlineMs, events.map((event) => event.done))
        return
      }
      const rejected = output.proposalRejected
      const error = rejected === undefined || rejected.reason === "not-leader"
        ? new NotLeader({ leader: rejected?.leader ?? state.leader })
        : new RaftBusy({ reason: rejected.reason })
      for (const event of events) event.done(Exit.fail(error))
    }

    /** Everything the outputs ask to persist, as few writes as possible (group commit); undefined if nothing. */
    const persistAll = makeBatchWriter(store, metrics, config.storage)
    const durableEvent: RaftEvent = { _tag: "Durable" }
    const logWriter = makeLogWriter(persistAll, (index, term) => {
      // Writes finish in order and each covers all before it: the latest report says it all.
      durableReport = { index, term }
      // A full mailbox needs no wake-up: the loop has a batch to take anyway.
      mailbox.offer(durableEvent)
    })

    /** Answers what the outputs settled: applied entries, reads, discarded proposals. */
    const settle = (outputs: ReadonlyArray<RaftOutput>): void => {
      let discards = false
      for (const output of outputs) {
        applyOutput(output)
        if (output.persist.truncateFrom !== undefined || output.softState !== undefined) discards = true
      }
      if (discards) pendingProposals.discardLost((index) => state.log.termAt(index))
      releaseReads()
    }

    /**
     * Persist everything, then send, then apply: the order Raft's safety depends on. Only the
     * persist and the send are effects; the rest is plain code run once per batch.
     *
     * Two exceptions (Raft thesis 10.2.1). A leader's AppendEntries of a term that was already
     * durable leave before the fsync, so the followers' disks work while the leader's does. And
     * when that is all the batch writes (a leader's own new entries), the loop does not wait for
     * the write at all: the core counts those entries for the leader only once the log writer
     * reports them durable (LogDurable), so no commit rests on them before.
     */
    const flush = (outputs: ReadonlyArray<RaftOutput>, durableTerm: number): Effect.Effect<void> => {
      const messages = outputs.length === 1 ? outputs[0]!.messages : outputs.flatMap((output) => output.messages)
      const settleAll = Effect.sync(() => settle(outputs))
      if (!outputs.some(needsWrite)) return messages.length === 0 ? settleAll : Effect.zipRight(transport.sendAll(messages), settleAll)
      logWriter.enqueue(outputs, state.log.lastIndex, state.term)
      const early: Array<OutboundMessage> = []
      const late: Array<OutboundMessage> = []
      for (const out of messages) (out.message._tag === "AppendEntries" && out.message.term === durableTerm ? early : late).push(out)
      if (late.length === 0 && state.role === "leader" && state.term === durableTerm && outputs.every(onlyEntries)) {
        return early.length === 0 ? settleAll : Effect.zipRight(transport.sendAll(early), settleAll)
      }
      const written = early.length === 0 ? logWriter.drained : Effect.zipRight(transport.sendAll(early), logWriter.drained)
      return Effect.zipRight(written, late.length === 0 ? settleAll : Effect.zipRight(transport.sendAll(late), settleAll))
    }

    /** Compacts with a snapshot taken in the background, or starts one once the log has grown past the threshold. */
    const compact: Effect.Effect<void, StorageError | WalError> = Effect.suspend(() => {
      const ready = snapshots.takeReady()
      if (ready !== undefined) {
        const outputs: Array<RaftOutput> = []
        const output = stepInto({ _tag: "Compact", index: ready.index, data: ready.data }, outputs)
        if (output.compactRejected !== undefined) return Effect.logWarning(`snapshot at ${ready.index} refused: ${output.compactRejected}`)
        // Not persisted: a leader's newer snapshot was installed meanwhile.
        if (output.persist.snapshot === undefined) return Effect.void
        lastSnapshotIndex = ready.index
        return flush(outputs, state.term)
      }
      if (snapshots.busy() || state.appliedIndex - lastSnapshotIndex < config.raft.snapshotThresholdEntries) return Effect.void
      return snapshots.start(state.appliedIndex, state.log.termAt(state.appliedIndex)!)
    })

    /**
     * Steps every event of a batch (all proposals as one Propose, all reads as one ReadIndex);
     * says whether a tick was among them.
     */
    const stepBatch = (events: ReadonlyArray<RaftEvent>): { outputs: Array<RaftOutput>; ticked: boolean } => {
      const outputs: Array<RaftOutput> = []
      const proposals: Array<Extract<RaftEvent, { _tag: "Propose" }>> = []
      const reads: Array<number> = []
      const suspended = isSuspendedNow()
      let ticked = false
      if (durableReport !== undefined) {
        stepInto({ _tag: "LogDurable", index: durableReport.index, term: durableReport.term }, outputs)
        durableReport = undefined
      }
      for (const event of events) {
        if (suspended && (event._tag === "Tick" || event._tag === "Receive")) continue
        switch (event._tag) {
          case "Tick":
            stepInto({ _tag: "Tick" }, outputs)
            ticked = true
            break
          case "Receive":
            stepInto({ _tag: "Receive", from: event.from, message: event.message }, outputs)
            break
          case "Propose":
            proposals.push(event)
            break
          case "Read": {
            const requestId = nextReadId++
            readWaiters.push(requestId, event.done)
            reads.push(requestId)
            break
          }
          case "Transfer":
            stepInto(event.to === undefined ? { _tag: "TransferLeadership" } : { _tag: "TransferLeadership", to: event.to }, outputs)
            break
          case "Durable":
            break
        }
      }
      answerProposals(proposals, outputs)
      if (reads.length > 0) stepInto({ _tag: "ReadIndex", requestIds: reads }, outputs)
      return { outputs, ticked }
    }

    const publishStatus = Effect.sync(() => { currentStatus = statusOf(state) })

    const handleBatch = (events: ReadonlyArray<RaftEvent>): Effect.Effect<void, StorageError | WalError> => {
      // The previous batch's fsync is done: the term now is durable.
      const durableTerm = state.term
      const { outputs, ticked } = stepBatch(events)
      return Effect.zipRight(flush(outputs, durableTerm), Effect.suspend(() => {
        if (ticked) pendingProposals.expire(clock.unsafeCurrentTimeMillis())
        return Effect.zipRight(compact, publishStatus)
      }))
    }

    const takeBatch = mailbox.takeUpTo(MAX_BATCH)
    // Wake-ups (fsync completions, socket reads on every follower) cost more than the work they
    // bring, so under write load the leader lets a batch fill for raft.batchDelay first.
    const batchDelay = config.raft.batchDelay
    const delayed = Duration.toMillis(batchDelay) > 0 ? Effect.zipRight(Effect.sleep(batchDelay), takeBatch) : takeBatch
    let lastBatchProposals = 0
    const nextBatch = Effect.suspend(() => lastBatchProposals > 1 && state.role === "leader" ? delayed : takeBatch)
    const batches = nextBatch.pipe(
      Effect.flatMap((events) => {
        lastBatchProposals = countProposals(events)
        return handleBatch(events)
      }),
      Effect.forever
    )
    const loop = onScheduler(batches, options.loopScheduler)
    // A bare sleep loop: a Schedule-driven repeat costs several times more per tick, 100 times a second.
    const tick: RaftEvent = { _tag: "Tick" }
    const ticker = Effect.forever(Effect.zipRight(Effect.sync(() => mailbox.offer(tick)), Effect.sleep(config.raft.tick)))
    // raceFirst, not raceAll: a failed write must end the run as a failed fsync in the loop does.
    const run = Effect.zipRight(boot, Effect.raceFirst(loop, Effect.raceFirst(logWriter.run, Effect.zipRight(ticker, Effect.never))))

    /** A message from a peer, queued without waiting; false (and counted) if the mailbox is full. */
    const receiveNow = (from: NodeId, message: RaftMessage): boolean => {
      if (mailbox.offer({ _tag: "Receive", from, message })) return true
      metrics.inc("troupe_dropped_messages_total", "Peer messages dropped", { reason: "raft-mailbox-full" })
      return false
    }

    return {
      propose: (data) => enqueueWithReply<unknown>((done) => ({ _tag: "Propose", data, done })),
      linearizableRead: enqueueWithReply<void>((done) => ({ _tag: "Read", done })),
      proposeNow: (data, done) => enqueueNow((reply) => ({ _tag: "Propose", data, done: reply }), done),
      readNow: (done) => enqueueNow((reply) => ({ _tag: "Read", done: reply }), done),
      receiveNow,
      transferLeadership: (to) => Effect.sync(() => { mailbox.offer({ _tag: "Transfer", to }) }),
      suspend: (duration) =>
        Effect.map(Clock.currentTimeMillis, (now) => { suspendedUntilMs = now + Duration.toMillis(duration) }),
      status: Effect.sync(() => currentStatus),
      statusNow: () => currentStatus,
      run
    }
  })

const countProposals = (events: ReadonlyArray<RaftEvent>): number => {
  let count = 0
  for (const event of events) if (event._tag === "Propose") count++
  return count
}

const bootingStatus = (self: NodeId): RaftStatus => ({
  id: self, role: "follower", term: 0, leader: null, commitIndex: 0, appliedIndex: 0, lastLogIndex: 0,
  snapshotIndex: 0, droppedMessages: 0
})
