/**
 * How long one small append + fdatasync takes in the folder the nodes write to: the floor
 * under every acknowledged write's latency (group commit amortizes it, cannot beat it).
 */
import * as fs from "node:fs"
import * as path from "node:path"

const ROUNDS = 200
const MAX_PROBE_MS = 5000
/** About one WAL record of a benchmark write. */
const RECORD_BYTES = 160

export interface FsyncProbe {
  readonly rounds: number
  readonly p50Ms: number
  readonly p99Ms: number
}

export const probeFsync = (dir: string): FsyncProbe => {
  const file = path.join(dir, "fsync-probe")
  const fd = fs.openSync(file, "a")
  const record = Buffer.alloc(RECORD_BYTES, 0x61)
  const samples: Array<number> = []
  const started = performance.now()
  try {
    while (samples.length < ROUNDS && performance.now() - started < MAX_PROBE_MS) {
      const before = performance.now()
      fs.writeSync(fd, record)
      fs.fdatasyncSync(fd)
      samples.push(performance.now() - before)
    }
  } finally {
    fs.closeSync(fd)
    fs.rmSync(file, { force: true })
  }
  samples.sort((a, b) => a - b)
  const at = (q: number) => samples[Math.min(samples.length - 1, Math.floor(q * samples.length))] ?? 0
  return { rounds: samples.length, p50Ms: at(0.5), p99Ms: at(0.99) }
}
