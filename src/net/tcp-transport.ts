/**
 * The live Transport: persistent TCP links between the nodes of one cluster.
 *
 * Outbound: one `PeerLink` per peer (bounded queue, lazy connect from this node's own address,
 * jittered capped exponential reconnect, batched writes). Inbound: peer connections arrive
 * through the shared-port `PortMux` after the preamble; each gets its own `FrameDecoder`, and
 * every authenticated message lands in ONE bounded inbox, read by one fiber at a time
 * (`receive`). A sender is known by the authenticated `from` of each frame, never by its socket
 * address.
 */
import type * as net from "node:net"
import { Effect, Layer, type Scope } from "effect"
import { makeMailbox, type Mailbox } from "../runtime/mailbox.js"
import type { TroupeConfig } from "../../config/schema.js"
import type { NodeId } from "../config/servers.js"
import { FrameDecoder, frameKey, REJECT_REASONS, type FrameKey, type RejectReason } from "../wire/frame.js"
import type { PeerMessage } from "../wire/messages.js"
import { emptyLinkCounters, makePeerLink, type LinkCounters, type PeerAddress, type PeerLink } from "./peer-link.js"
import { PortMux } from "./port-mux.js"
import { reconnectSchedule } from "./reconnect.js"
import { type Inbound, Transport, type TransportShape, type TransportStats } from "./Transport.js"

export interface TcpTransportOptions {
  readonly config: TroupeConfig
  /** This node: its id (host:port) and the address its outbound links are bound to. */
  readonly self: { readonly id: NodeId; readonly host: string }
  /** Every server of the cluster; an entry with the self id is ignored. */
  readonly peers: ReadonlyArray<PeerAddress>
}

export interface TcpTransportStats extends TransportStats {
  readonly droppedTooLarge: number
  readonly droppedInvalid: number
  readonly droppedUnknownPeer: number
  /** Authenticated messages dropped because the inbox was full. */
  readonly droppedInboxFull: number
  readonly rejectedByReason: Readonly<Record<RejectReason, number>>
  readonly connects: number
  readonly connectFailures: number
  readonly disconnects: number
  readonly inboundConnections: number
  /** Inbound peer connections open right now. */
  readonly inboundOpen: number
  readonly connectedPeers: ReadonlyArray<NodeId>
}

export interface TcpTransportShape extends TransportShape {
  readonly stats: Effect.Effect<TcpTransportStats>
}

interface InboundCounters {
  receivedMessages: number
  receivedBytes: number
  droppedInboxFull: number
  rejectedFrames: number
  inboundConnections: number
  readonly rejectedByReason: Record<RejectReason, number>
}

interface InboundContext {
  readonly decoderOptions: { key: FrameKey; clusterId: string; self: NodeId; maxFrameBytes: number }
  readonly inbox: Mailbox<Inbound>
  readonly counters: InboundCounters
  readonly sockets: Set<net.Socket>
}

const noop = (): void => {}

/** Reads frames from one inbound peer connection until it closes. */
const acceptPeer = (context: InboundContext, socket: net.Socket, head: Buffer): void => {
  const { counters } = context
  const decoder = new FrameDecoder(context.decoderOptions)
  counters.inboundConnections++
  context.sockets.add(socket)
  socket.once("close", () => context.sockets.delete(socket))
  socket.on("error", noop)
  socket.setKeepAlive(true)
  const onData = (chunk: Buffer): void => {
    for (const result of decoder.feed(chunk)) {
      if (result._tag === "Rejected") {
        counters.rejectedFrames++
        counters.rejectedByReason[result.reason]++
        if (result.fatal) socket.destroy()
        continue
      }
      counters.receivedBytes += result.frameBytes
      if (context.inbox.offer({ from: result.from, message: result.message })) counters.receivedMessages++
      else counters.droppedInboxFull++
    }
  }
  if (head.length > 0) onData(head)
  socket.on("data", onData)
  socket.resume()
}

const closeAll = (sockets: Set<net.Socket>) =>
  Effect.sync(() => {
    for (const socket of sockets) socket.destroy()
    sockets.clear()
  })

const snapshot = (
  links: ReadonlyMap<NodeId, PeerLink>,
  link: LinkCounters,
  inbound: InboundCounters,
  inboundOpen: number
): TcpTransportStats => ({
  sentMessages: link.sentMessages,
  sentBytes: link.sentBytes,
  receivedMessages: inbound.receivedMessages,
  receivedBytes: inbound.receivedBytes,
  droppedQueueFull: link.droppedQueueFull,
  rejectedFrames: inbound.rejectedFrames,
  droppedTooLarge: link.droppedTooLarge,
  droppedInvalid: link.droppedInvalid,
  droppedUnknownPeer: link.droppedUnknownPeer,
  droppedInboxFull: inbound.droppedInboxFull,
  rejectedByReason: { ...inbound.rejectedByReason },
  connects: link.connects,
  connectFailures: link.connectFailures,
  disconnects: link.disconnects,
  inboundConnections: inbound.inboundConnections,
  inboundOpen,
  connectedPeers: [...links.values()].filter((peerLink) => peerLink.isConnected()).map((peerLink) => peerLink.peer)
})

/** Builds the transport in the current scope: closing it stops every link and closes every socket. */
export const makeTcpTransport = (
  options: TcpTransportOptions
): Effect.Effect<TcpTransportShape, never, PortMux | Scope.Scope> =>
  Effect.gen(function*() {
    const { config } = options
    const mux = yield* PortMux
    const key = frameKey(config.secret)
    const linkCounters = emptyLinkCounters()
    const inboundCounters: InboundCounters = {
      receivedMessages: 0,
      receivedBytes: 0,
      droppedInboxFull: 0,
      rejectedFrames: 0,
      inboundConnections: 0,
      rejectedByReason: Object.fromEntries(REJECT_REASONS.map((reason) => [reason, 0])) as Record<RejectReason, number>
    }
    const inbox = makeMailbox<Inbound>(config.wire.inboxCapacity)
    const sockets = new Set<net.Socket>()
    yield* Effect.addFinalizer(() => closeAll(sockets))
    const links = new Map<NodeId, PeerLink>()
    for (const peer of options.peers) {
      if (peer.id === options.self.id || links.has(peer.id)) continue
      const link = yield* makePeerLink({
        self: options.self.id,
        selfHost: options.self.host,
        peer,
        clusterId: config.clusterId,
        key,
        maxFrameBytes: config.wire.maxFrameBytes,
        queueCapacity: config.wire.peerSendQueueCapacity,
        reconnect: reconnectSchedule(config.wire),
        connectTimeout: config.wire.connectTimeout
      }, linkCounters)
      links.set(peer.id, link)
    }
    const context: InboundContext = {
      decoderOptions: { key, clusterId: config.clusterId, self: options.self.id, maxFrameBytes: config.wire.maxFrameBytes },
      inbox,
      counters: inboundCounters,
      sockets
    }
    yield* mux.servePeers((socket, head) => acceptPeer(context, socket, head))

    const sendNow = (to: NodeId, message: PeerMessage): void => {
      const link = links.get(to)
      if (link === undefined) linkCounters.droppedUnknownPeer++
      else link.offer(message)
    }
    return {
      self: options.self.id,
      send: (to, message) => Effect.sync(() => sendNow(to, message)),
      sendAll: (messages) => Effect.sync(() => {
        for (const { message, to } of messages) sendNow(to, message)
      }),
      receive: inbox.take,
      receiveAll: inbox.takeUpTo(config.wire.inboxCapacity),
      stats: Effect.sync(() => snapshot(links, linkCounters, inboundCounters, sockets.size))
    } satisfies TcpTransportShape
  })

export const TcpTransport = {
  make: makeTcpTransport,
  /** The live `Transport`, listening through the node's shared-port `PortMux`. */
  layer: (options: TcpTransportOptions): Layer.Layer<Transport, never, PortMux> =>
    Layer.scoped(Transport, makeTcpTransport(options))
} as const
