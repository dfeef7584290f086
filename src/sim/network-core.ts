/**
 * The synchronous heart of the sim network: what happens to each message, decided from the
 * current faults and the seeded PRNG, and when it is due. It never reads a clock: the shell
 * (network.ts) passes the time in, in milliseconds since the network was made, and runs one
 * timer fiber per instant listed in `armedInstants`. All randomness comes from one `Prng`,
 * consumed in send order.
 */
import { Either, Queue, Schema } from "effect"
import type { NodeId } from "../config/servers.js"
import type { Inbound, TransportStats } from "../net/Transport.js"
import { PeerMessage } from "../wire/messages.js"
import { DeliveryHeap, type Scheduled } from "./delivery-heap.js"
import {
  canReach,
  decideSendFate,
  healedTopology,
  type LinkFaults,
  linkKey,
  SimFaultError,
  type SendRolls,
  type Topology
} from "./faults.js"
import { Prng } from "./random.js"
import { type HeldDelivery, SimNode } from "./sim-node.js"
import { Trace } from "./trace.js"

/** What happened to a message, as written in the trace and counted in `fateCounts`. */
export type Fate =
  | "sent" | "dup" | "lost" | "blocked" | "queue-full" | "too-large" | "bad-frame" | "sender-down" | "unknown-dest"
  | "delivered" | "held" | "resumed" | "dropped-crashed" | "dropped-stale" | "dropped-blocked"
  | "dropped-inbox-full" | "dropped-held-full" | "rejected"

interface PendingDelivery extends Scheduled {
  readonly from: NodeId
  readonly to: NodeId
  readonly tag: string
  readonly frame: string
  readonly bytes: number
  readonly toIncarnation: number
}

export interface NetworkCoreOptions {
  readonly seed: number | string
  /** Bound of every inbox, every paused node's held buffer, and every link's in-flight count. */
  readonly queueCapacity: number
  readonly maxFrameBytes: number
  readonly defaultFaults: LinkFaults
  readonly traceCapacity: number
}

const encodeMessage = Schema.encodeEither(PeerMessage)
const decodeFrame = Schema.decodeUnknownEither(Schema.parseJson(PeerMessage))

export class NetworkCore {
  readonly prng: Prng
  readonly trace: Trace
  readonly nodes = new Map<NodeId, SimNode>()
  readonly linkFaults = new Map<string, LinkFaults>()
  readonly fateCounts = new Map<Fate, number>()
  defaultFaults: LinkFaults
  topology: Topology = healedTopology
  /** Instants that already have a timer fiber in the shell: one timer per distinct instant. */
  readonly armedInstants = new Set<number>()
  private readonly pending = new DeliveryHeap<PendingDelivery>()
  private readonly inFlightByLink = new Map<string, number>()
  private nextId = 1

  constructor(readonly options: NetworkCoreOptions) {
    this.prng = new Prng(options.seed)
    this.trace = new Trace(options.traceCapacity)
    this.defaultFaults = options.defaultFaults
  }

  node(operation: string, id: NodeId): Either.Either<SimNode, SimFaultError> {
    const node = this.nodes.get(id)
    return node === undefined
      ? Either.left(new SimFaultError({ operation, problem: `unknown node "${id}"` }))
      : Either.right(node)
  }

  faultsFor(from: NodeId, to: NodeId): LinkFaults {
    return this.linkFaults.get(linkKey(from, to)) ?? this.defaultFaults
  }

  get inFlight(): number {
    return this.pending.size
  }

  stats(id: NodeId): TransportStats | undefined {
    return this.nodes.get(id)?.stats()
  }

  /** Records a topology or node event (crash, partition...) in the trace. */
  event(nowMs: number, text: string): void {
    this.trace.record(`${nowMs} * ${text}`)
  }

  /** Returns the delivery instants that need a new timer (none, one, or two with a duplicate). */
  send(nowMs: number, from: NodeId, to: NodeId, message: PeerMessage): ReadonlyArray<number> {
    const id = this.nextId++
    const rolls = this.drawRolls()
    const note = (fate: Fate, detail = "") => this.note(nowMs, id, from, to, message._tag, fate, detail)
    const refuse = (fate: Fate): ReadonlyArray<number> => {
      note(fate)
      return []
    }
    const sender = this.nodes.get(from)
    const receiver = this.nodes.get(to)
    if (sender === undefined || sender.status === "crashed") return refuse("sender-down")
    if (receiver === undefined) return refuse("unknown-dest")
    const encoded = encodeMessage(message)
    if (Either.isLeft(encoded)) {
      sender.rejectedFrames++
      return refuse("bad-frame")
    }
    const frame = JSON.stringify(encoded.right)
    const bytes = Buffer.byteLength(frame)
    if (bytes > this.options.maxFrameBytes) {
      sender.rejectedFrames++
      return refuse("too-large")
    }
    if (!this.hasLinkRoom(from, to)) {
      sender.droppedQueueFull++
      return refuse("queue-full")
    }
    sender.sentMessages++
    sender.sentBytes += bytes
    if (!canReach(this.topology, from, to)) return refuse("blocked")
    const fate = decideSendFate(this.faultsFor(from, to), rolls)
    if (fate._tag === "Lost") return refuse("lost")
    const base = { from, to, tag: message._tag, frame, bytes, toIncarnation: receiver.incarnation }
    const newInstants: Array<number> = []
    this.schedule({ ...base, id, deliverAtMs: nowMs + fate.delayMs }, newInstants)
    note("sent", ` +${fate.delayMs}ms${fate.reordered ? " reordered" : ""}`)
    if (fate.duplicateDelayMs !== undefined && this.hasLinkRoom(from, to)) {
      const copyId = this.nextId++
      this.schedule({ ...base, id: copyId, deliverAtMs: nowMs + fate.duplicateDelayMs }, newInstants)
      this.note(nowMs, copyId, from, to, message._tag, "dup", ` of#${id} +${fate.duplicateDelayMs}ms`)
    }
    return newInstants
  }

  /** Delivers, in (time, send order), every message due at or before `nowMs`. */
  deliverDue(nowMs: number): void {
    for (const instant of this.armedInstants) if (instant <= nowMs) this.armedInstants.delete(instant)
    for (let next = this.pending.peek(); next !== undefined && next.deliverAtMs <= nowMs; next = this.pending.peek()) {
      this.pending.pop()
      const key = linkKey(next.from, next.to)
      this.inFlightByLink.set(key, (this.inFlightByLink.get(key) ?? 1) - 1)
      this.deliverOne(nowMs, next)
    }
  }

  /** Marks a node crashed; returns its old inbox so the shell can shut it down. */
  crash(nowMs: number, node: SimNode): Queue.Queue<Inbound> {
    node.status = "crashed"
    node.incarnation++
    node.held = []
    this.event(nowMs, `crash ${node.id}`)
    return node.inbox
  }

  restart(nowMs: number, node: SimNode, freshInbox: Queue.Queue<Inbound>): void {
    node.status = "up"
    // Messages sent while it was down were addressed to no live incarnation: they are lost too.
    node.incarnation++
    node.inbox = freshInbox
    this.event(nowMs, `restart ${node.id}`)
  }

  pause(nowMs: number, node: SimNode): void {
    node.status = "paused"
    this.event(nowMs, `pause ${node.id}`)
  }

  /** Hands every held message over to the inbox, in arrival order. */
  resume(nowMs: number, node: SimNode): void {
    node.status = "up"
    this.event(nowMs, `resume ${node.id}`)
    const held = node.held
    node.held = []
    for (const delivery of held) {
      this.offerToInbox(nowMs, node, delivery, "resumed")
    }
  }

  private drawRolls(): SendRolls {
    const prng = this.prng
    return {
      loss: prng.nextFloat(),
      duplicate: prng.nextFloat(),
      reorder: prng.nextFloat(),
      delay: prng.nextFloat(),
      duplicateDelay: prng.nextFloat(),
      reorderExtra: prng.nextFloat()
    }
  }

  private hasLinkRoom(from: NodeId, to: NodeId): boolean {
    return (this.inFlightByLink.get(linkKey(from, to)) ?? 0) < this.options.queueCapacity
  }

  private schedule(delivery: PendingDelivery, newInstants: Array<number>): void {
    const key = linkKey(delivery.from, delivery.to)
    this.inFlightByLink.set(key, (this.inFlightByLink.get(key) ?? 0) + 1)
    this.pending.push(delivery)
    if (!this.armedInstants.has(delivery.deliverAtMs)) {
      this.armedInstants.add(delivery.deliverAtMs)
      newInstants.push(delivery.deliverAtMs)
    }
  }

  private deliverOne(nowMs: number, delivery: PendingDelivery): void {
    const { from, id, tag, to } = delivery
    const note = (fate: Fate) => this.note(nowMs, id, from, to, tag, fate)
    const receiver = this.nodes.get(to)
    if (receiver === undefined || receiver.status === "crashed") return note("dropped-crashed")
    if (receiver.incarnation !== delivery.toIncarnation) return note("dropped-stale")
    if (!canReach(this.topology, from, to)) return note("dropped-blocked")
    const decoded = decodeFrame(delivery.frame)
    if (Either.isLeft(decoded)) {
      receiver.rejectedFrames++
      return note("rejected")
    }
    const held: HeldDelivery = { id, inbound: { from, message: decoded.right }, bytes: delivery.bytes }
    if (receiver.status === "paused") {
      if (receiver.held.length >= this.options.queueCapacity) {
        receiver.droppedQueueFull++
        return note("dropped-held-full")
      }
      receiver.held.push(held)
      return note("held")
    }
    this.offerToInbox(nowMs, receiver, held, "delivered")
  }

  private offerToInbox(nowMs: number, receiver: SimNode, delivery: HeldDelivery, fate: Fate): void {
    const { from, message } = delivery.inbound
    // The inbox is a dropping queue: a false offer means it is full.
    if (!Queue.unsafeOffer(receiver.inbox, delivery.inbound)) {
      receiver.droppedQueueFull++
      return this.note(nowMs, delivery.id, from, receiver.id, message._tag, "dropped-inbox-full")
    }
    receiver.receivedMessages++
    receiver.receivedBytes += delivery.bytes
    this.note(nowMs, delivery.id, from, receiver.id, message._tag, fate)
  }

  private note(nowMs: number, id: number, from: NodeId, to: NodeId, tag: string, fate: Fate, detail = ""): void {
    this.fateCounts.set(fate, (this.fateCounts.get(fate) ?? 0) + 1)
    this.trace.record(`${nowMs} #${id} ${from}>${to} ${tag} ${fate}${detail}`)
  }
}
