/** Command-line options of bench/kv.ts, parsed strictly: an unknown flag or a bad number stops the run. */

export interface BenchOptions {
  /** Seconds of load per phase (writes, reads, baseline, each profiled phase). */
  readonly durationS: number
  /**
   * Seconds of unmeasured write load before the measured writes: V8 still compiles the hot
   * paths in a fresh node's first seconds (6.6% of the leader's CPU in its first 15 s).
   */
  readonly warmupS: number
  readonly connections: number
  readonly threads: number
  readonly failoverRounds: number
  /** "auto" uses wrk when it is installed, else the Node generator. */
  readonly loadgen: "auto" | "wrk" | "node"
  readonly profile: boolean
  readonly baseline: boolean
  /** Where temp data, logs and CPU profiles go (kept after the run when given). */
  readonly outDir: string | undefined
}

export const USAGE = `usage: node --import tsx bench/kv.ts [--duration S] [--connections N] [--threads N]
         [--warmup S] [--failovers N] [--loadgen auto|wrk|node] [--no-profile] [--no-baseline]
         [--out DIR]`

const LIMITS = {
  durationS: [1, 600],
  warmupS: [0, 600],
  connections: [1, 4096],
  threads: [1, 64],
  failoverRounds: [0, 50]
} as const

const integerIn = (flag: string, text: string | undefined, [min, max]: readonly [number, number]): number => {
  const value = Number(text)
  if (!Number.isInteger(value) || value < min || value > max) {
    throw new Error(`${flag} needs an integer between ${min} and ${max}, got ${text ?? "nothing"}\n${USAGE}`)
  }
  return value
}

export const parseArgs = (argv: ReadonlyArray<string>): BenchOptions => {
  const options: { -readonly [K in keyof BenchOptions]: BenchOptions[K] } = {
    durationS: 10,
    warmupS: 5,
    connections: 64,
    threads: 2,
    failoverRounds: 5,
    loadgen: "auto",
    profile: true,
    baseline: true,
    outDir: undefined
  }
  for (let i = 0; i < argv.length; i++) {
    const flag = argv[i]!
    const next = () => argv[++i]
    switch (flag) {
      case "--duration": options.durationS = integerIn(flag, next(), LIMITS.durationS); break
      case "--warmup": options.warmupS = integerIn(flag, next(), LIMITS.warmupS); break
      case "--connections": options.connections = integerIn(flag, next(), LIMITS.connections); break
      case "--threads": options.threads = integerIn(flag, next(), LIMITS.threads); break
      case "--failovers": options.failoverRounds = integerIn(flag, next(), LIMITS.failoverRounds); break
      case "--loadgen": {
        const value = next()
        if (value !== "auto" && value !== "wrk" && value !== "node") throw new Error(`--loadgen takes auto, wrk or node\n${USAGE}`)
        options.loadgen = value
        break
      }
      case "--no-profile": options.profile = false; break
      case "--no-baseline": options.baseline = false; break
      case "--out": options.outDir = next(); break
      case "--help": case "-h": throw new Error(USAGE)
      default: throw new Error(`unknown option ${flag}\n${USAGE}`)
    }
  }
  if (options.threads > options.connections) options.threads = options.connections
  return options
}
