/**
 * When a receiver session sends its acks to data. Acks are cumulative (`a | next` says every
 * seqno before `next` arrived), so in windowed mode one ack can answer many datagrams: the
 * session sends every `every`-th ack at once, so the sender can refill its window while the rest
 * of a burst is still being stored, and the latest pending one when the burst is over (`flush`,
 * at the end of the event-loop turn). Stop-and-wait has one datagram in flight: `every` is 1 and
 * each ack goes out at once, exactly as the lab server does it.
 *
 * An ack that repeats the previous one (data beyond a gap, or a duplicate) goes out at once, as
 * TCP sends duplicate acks: the sender's fast retransmit needs three of them, and a gap near the
 * end of a window would otherwise wait for the 500 ms retry timer.
 */

export interface AckCoalescer {
  /** Records an ack to send; returns the seqno to send right now, or undefined to hold it. */
  readonly note: (nextSeqno: number) => number | undefined
  /** The held ack, if any, now due (the burst is over); forgets it. */
  readonly flush: () => number | undefined
  readonly holding: () => boolean
}

/** How many acks a window of `window` datagrams is answered with, at least, in a full burst. */
export const acksPerWindow = 4

/** Acks held before one is sent, for a session of this window (1 = stop-and-wait). */
export const ackEveryFor = (window: number): number => Math.max(1, Math.floor(window / acksPerWindow))

export const makeAckCoalescer = (every: number): AckCoalescer => {
  let held: number | undefined
  let heldCount = 0
  let previous: number | undefined
  return {
    note: (nextSeqno) => {
      const repeated = nextSeqno === previous
      previous = nextSeqno
      if (repeated) {
        held = undefined
        heldCount = 0
        return nextSeqno
      }
      heldCount++
      if (heldCount >= every) {
        held = undefined
        heldCount = 0
        return nextSeqno
      }
      held = nextSeqno
      return undefined
    },
    flush: () => {
      const due = held
      held = undefined
      heldCount = 0
      return due
    },
    holding: () => held !== undefined
  }
}
