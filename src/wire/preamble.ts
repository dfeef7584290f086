/**
 * The first bytes of every peer link. Clients, peers and admin calls share one TCP port; the
 * port mux tells a peer link from HTTP by this preamble (no HTTP method starts with "TROUPE/").
 * The version is in the preamble so a future frame format can be refused before any frame.
 */
export const PEER_PREAMBLE: Buffer = Buffer.from("TROUPE/1\n", "ascii")

export type Sniffed = "peer" | "http" | "undecided"

/** Classifies the first bytes of a connection; "undecided" while they are a strict prefix of the preamble. */
export const sniffPreamble = (head: Uint8Array): Sniffed => {
  const compared = Math.min(head.length, PEER_PREAMBLE.length)
  for (let index = 0; index < compared; index++) {
    if (head[index] !== PEER_PREAMBLE[index]) return "http"
  }
  return head.length >= PEER_PREAMBLE.length ? "peer" : "undecided"
}
