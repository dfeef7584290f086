/**
 * The sim network's trace: one compact line per event, e.g.
 *   `105 #12 n1>n2 Ping sent +7ms`, `112 #12 n1>n2 Ping delivered`, `300 * crash n3`.
 * Only the last `capacity` lines are kept (bounded memory), but a running digest covers every
 * line ever written, so two long runs can still be compared exactly.
 */
import { hashString32 } from "./random.js"

export class Trace {
  private readonly lines: Array<string> = []
  /** Index in `lines` of the oldest kept line once the ring is full. */
  private head = 0
  private written = 0
  private digestLow = 0x811c9dc5
  private digestHigh = 0x01000193

  constructor(readonly capacity: number) {}

  record(line: string): void {
    this.written++
    // Two FNV-1a chains with different bases: a 64-bit digest, so accidental equality is negligible.
    this.digestLow = hashString32(`${line}\n`, this.digestLow)
    this.digestHigh = hashString32(`\n${line}`, this.digestHigh)
    if (this.capacity <= 0) return
    if (this.lines.length < this.capacity) {
      this.lines.push(line)
      return
    }
    this.lines[this.head] = line
    this.head = (this.head + 1) % this.capacity
  }

  /** Kept lines, oldest first. */
  snapshot(): ReadonlyArray<string> {
    return [...this.lines.slice(this.head), ...this.lines.slice(0, this.head)]
  }

  /** Every line ever recorded, including those no longer kept. */
  get totalLines(): number {
    return this.written
  }

  /** Line count and a 64-bit hash of every line, in order. */
  digest(): string {
    const hex = (value: number) => (value >>> 0).toString(16).padStart(8, "0")
    return `${this.written}:${hex(this.digestHigh)}${hex(this.digestLow)}`
  }
}
