/**
 * The one schema for troupe's configuration. Every timing and limit of every role lives here;
 * `config/default.json` holds the defaults. Durations are written as human strings
 * ("150 millis", "3 seconds") and decoded to Effect `Duration`s, so code never sees bare numbers
 * for time.
 */
import { Duration, Either, ParseResult, Schema } from "effect"

/** "150 millis", "3 seconds", "1 minute" <-> Duration. */
export const DurationString = Schema.transformOrFail(Schema.String, Schema.DurationFromSelf, {
  strict: true,
  decode: (text, _, ast) => {
    const decoded = Duration.decodeUnknown(text.trim())
    return decoded._tag === "Some"
      ? ParseResult.succeed(decoded.value)
      : ParseResult.fail(new ParseResult.Type(ast, text, `not a duration: "${text}" (try "150 millis" or "3 seconds")`))
  },
  encode: (duration) => ParseResult.succeed(`${Duration.toMillis(duration)} millis`)
})

const Positive = Schema.Int.pipe(Schema.positive())
const NonNegative = Schema.Int.pipe(Schema.nonNegative())

export const RaftConfig = Schema.Struct({
  tick: DurationString,
  electionTimeoutMin: DurationString,
  electionTimeoutMax: DurationString,
  heartbeatEvery: DurationString,
  maxEntriesPerAppend: Positive,
  maxBytesPerAppend: Positive,
  maxInflightAppends: Positive,
  snapshotThresholdEntries: Positive,
  maxPendingProposals: Positive,
  maxPendingReads: Positive,
  proposalTimeout: DurationString,
  /**
   * Under write load (the leader's last batch carried more than one proposal) the leader waits
   * this long before taking its next batch, so that one fsync and one AppendEntries per follower
   * carry more entries. A lone writer is never delayed. Zero turns it off.
   */
  batchDelay: DurationString,
  /** A snapshot from a leader larger than this (UTF-8 bytes) is refused: the backstop on memory. */
  maxSnapshotBytes: Positive
})

export const StorageConfig = Schema.Struct({
  walSegmentBytes: Positive,
  /** A Raft batch's log write is split into writes (one fsync each) of at most this many entries... */
  groupCommitMaxEntries: Positive,
  /** ...and at most this many bytes of entry data (an entry larger than this goes alone). */
  groupCommitMaxBytes: Positive
})

export const RuntimeConfig = Schema.Struct({
  mailboxCapacity: Positive,
  askTimeout: DurationString,
  restartBase: DurationString,
  restartMax: DurationString,
  restartResetAfter: DurationString,
  maxRestarts: NonNegative,
  maxRestartsWindow: DurationString,
  shutdownGrace: DurationString
})

export const WireConfig = Schema.Struct({
  maxFrameBytes: Positive,
  peerSendQueueCapacity: Positive,
  /** Messages from all peers waiting for the dispatcher; past it they are dropped and counted. */
  inboxCapacity: Positive,
  reconnectBase: DurationString,
  reconnectMax: DurationString,
  /** One attempt to open a link to a peer. */
  connectTimeout: DurationString,
  /** A new connection must say what it is (peer preamble or HTTP request line) within this. */
  sniffTimeout: DurationString
})

export const FailureDetectorConfig = Schema.Struct({
  heartbeatEvery: DurationString,
  suspectAfter: DurationString
})

export const HttpConfig = Schema.Struct({
  maxInflightRequests: Positive,
  maxKeyLength: Positive,
  maxValueLength: Positive,
  maxRequestBytes: Positive,
  requestTimeout: DurationString,
  forwardTimeout: DurationString
})

export const ClientConfig = Schema.Struct({
  requestTimeout: DurationString,
  totalTimeout: DurationString,
  retryBase: DurationString,
  retryMax: DurationString
})

export const TransferConfig = Schema.Struct({
  triesPerMessage: Positive,
  retryEvery: DurationString,
  sessionIdleTimeout: DurationString,
  finishedRetention: DurationString,
  bufSize: Schema.Int.pipe(Schema.between(64, 65507)),
  maxFileBytes: NonNegative,
  maxSessions: Positive,
  maxFilenameBytes: Positive,
  windowSize: Positive
})

export const ComputeConfig = Schema.Struct({
  workers: Positive,
  callTimeout: DurationString,
  queueCapacity: Positive,
  maxNumberDigits: Positive,
  maxTextBytes: Positive,
  /** 0 = the Lab02 TCP prime service is off inside a node. */
  primesPort: NonNegative
})

export const KvConfig = Schema.Struct({
  /** Client sessions remembered for exactly-once writes; the least recently used is forgotten. */
  maxSessions: Positive,
  /** Keys plus values; a write past it is refused with an error. */
  maxTotalBytes: Positive,
  /** At most this many keys in one `keys` answer. */
  maxKeysListed: Positive
})

export const TroupeConfig = Schema.Struct({
  clusterId: Schema.String.pipe(Schema.minLength(1), Schema.maxLength(64)),
  secret: Schema.String.pipe(Schema.minLength(8)),
  raft: RaftConfig,
  storage: StorageConfig,
  runtime: RuntimeConfig,
  wire: WireConfig,
  failureDetector: FailureDetectorConfig,
  http: HttpConfig,
  client: ClientConfig,
  transfer: TransferConfig,
  compute: ComputeConfig,
  kv: KvConfig
}).pipe(
  Schema.filter((config) =>
    Duration.lessThanOrEqualTo(config.raft.electionTimeoutMin, config.raft.electionTimeoutMax) ||
    "raft.electionTimeoutMin must not exceed raft.electionTimeoutMax"
  )
)

export type TroupeConfig = typeof TroupeConfig.Type
export type TroupeConfigEncoded = typeof TroupeConfig.Encoded

export const decodeConfig = (input: unknown): Either.Either<TroupeConfig, ParseResult.ParseError> =>
  Schema.decodeUnknownEither(TroupeConfig, { onExcessProperty: "error", errors: "all" })(input)
